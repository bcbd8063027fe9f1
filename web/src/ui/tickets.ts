// E-tickets as QR codes: each ticket's signed token drawn into a <canvas> (the `qrcode`
// package), labelled for people who can't see it ("E-ticket for seat A12").
import QRCode from 'qrcode';
import { h } from './dom';

export interface TicketView {
  id: string;
  label: string;
  token: string;
}

export async function ticketCard(ticket: TicketView): Promise<HTMLElement> {
  const canvas = h('canvas', { role: 'img', 'aria-label': `E-ticket for seat ${ticket.label}`, 'data-ticket-id': ticket.id });
  await QRCode.toCanvas(canvas, ticket.token, { errorCorrectionLevel: 'M', margin: 4, scale: 4 });
  return h('figure', { class: 'ticket' }, canvas, h('figcaption', {}, ticket.label));
}
