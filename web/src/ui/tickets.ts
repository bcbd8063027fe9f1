// E-tickets as QR codes: each ticket's signed token drawn into a <canvas> (the `qrcode`
// package), labelled for people who can't see it ("E-ticket for seat A12").
import QRCode from 'qrcode';
import { h } from './dom';

export interface TicketView {
  id: string;
  label: string;
  token: string;
}

/** "E-ticket for seat A12"; a standing place (id <booking>:<section>:<n>) "E-ticket for Floor #2". */
export function ticketName(ticket: TicketView): string {
  return ticket.id.split(':').length === 2 ? `E-ticket for seat ${ticket.label}` : `E-ticket for ${ticket.label}`;
}

export async function ticketCard(ticket: TicketView): Promise<HTMLElement> {
  const canvas = h('canvas', { role: 'img', 'aria-label': ticketName(ticket), 'data-ticket-id': ticket.id });
  await QRCode.toCanvas(canvas, ticket.token, { errorCorrectionLevel: 'M', margin: 4, scale: 4 });
  return h('figure', { class: 'ticket' }, canvas, h('figcaption', {}, ticket.label));
}
