// The hold countdown's arithmetic, behind two functions the pages use.
// LOCAL STAND-IN for web/src/countdown.ts (written on the map branch, same signatures):
// once it lands, this module re-exports it instead.
export function remainingMs(expiresAt: string, now: number): number {
  return Math.max(0, Date.parse(expiresAt) - now);
}

/** "9:05" (minutes:seconds) left; "0:00" once expired. */
export function formatRemaining(expiresAt: string, now: number): string {
  const total = Math.ceil(remainingMs(expiresAt, now) / 1000);
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  return `${minutes}:${String(seconds).padStart(2, '0')}`;
}
