// Telling the person what happened: in the page (an alert next to what they did) and in the
// #status live region that screen readers announce. Every API error is shown in words.
import { ApiError } from '../api';
import { h } from './dom';

let clearTimer: ReturnType<typeof setTimeout> | undefined;

/** Say something politely in the #status region (it fades after a while). */
export function announce(text: string): void {
  const region = document.getElementById('status');
  if (!region) return;
  region.textContent = text;
  if (clearTimer) clearTimeout(clearTimer);
  clearTimer = setTimeout(() => {
    if (region.textContent === text) region.textContent = '';
  }, 8000);
}

/** The words for any error (ApiError knows its code's words; anything else is a bug). */
export function wordsOf(error: unknown): string {
  if (error instanceof ApiError) return error.words;
  console.error(error);
  return 'Something went wrong.';
}

/** A message area of a page: `show` puts an alert (or a note) in it and announces it. */
export class Messages {
  readonly element = h('div', { class: 'messages' });

  error(error: unknown): string {
    return this.say(wordsOf(error), 'error');
  }

  say(text: string, kind: 'error' | 'info' = 'info'): string {
    const p = h('p', { class: kind, role: kind === 'error' ? 'alert' : null, 'data-kind': kind }, text);
    this.element.replaceChildren(p);
    announce(text);
    return text;
  }

  clear(): void {
    this.element.replaceChildren();
  }
}
