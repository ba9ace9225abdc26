/** Stripe's documented test cards that the twin understands, and what each one does. */
type CardBehaviour = 'authorize' | 'decline' | 'insufficient_funds' | 'authenticate' | 'refund_fails';

export interface TestCard {
  number: string;
  brand: string;
  behaviour: CardBehaviour;
}

export const TEST_CARDS: readonly TestCard[] = [
  { number: '4242424242424242', brand: 'visa', behaviour: 'authorize' },
  { number: '5555555555554444', brand: 'mastercard', behaviour: 'authorize' },
  { number: '4000000000000002', brand: 'visa', behaviour: 'decline' },
  { number: '4000000000009995', brand: 'visa', behaviour: 'insufficient_funds' },
  { number: '4000002500003155', brand: 'visa', behaviour: 'authenticate' },
  { number: '4000000000005126', brand: 'visa', behaviour: 'refund_fails' },
];

export interface CardInput {
  number: string;
  expMonth: number;
  expYear: number;
  cvc: string;
}

/** Problems Stripe's checkout page catches before anything reaches the API. */
export type CardInputProblem = 'incorrect_number' | 'invalid_expiry' | 'invalid_cvc';

function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Reads the form's card fields; `now` decides whether the expiry lies in the past. */
export function parseCard(fields: { number?: string; expiry?: string; cvc?: string }, now: Date): { card: CardInput } | { problem: CardInputProblem } {
  const number = (fields.number ?? '').replace(/[\s-]/g, '');
  if (!/^\d{12,19}$/.test(number) || !luhnValid(number)) return { problem: 'incorrect_number' };
  const exp = /^\s*(\d{1,2})\s*\/\s*(\d{2}|\d{4})\s*$/.exec(fields.expiry ?? '');
  if (!exp) return { problem: 'invalid_expiry' };
  const expMonth = Number(exp[1]);
  const expYear = exp[2].length === 2 ? 2000 + Number(exp[2]) : Number(exp[2]);
  const endOfMonth = new Date(Date.UTC(expYear, expMonth, 1));
  if (expMonth < 1 || expMonth > 12 || endOfMonth.getTime() <= now.getTime()) return { problem: 'invalid_expiry' };
  const cvc = (fields.cvc ?? '').trim();
  if (!/^\d{3,4}$/.test(cvc)) return { problem: 'invalid_cvc' };
  return { card: { number, expMonth, expYear, cvc } };
}

/** A known test card, or null for any other (live-looking) number. */
export function testCard(number: string): TestCard | null {
  return TEST_CARDS.find((c) => c.number === number) ?? null;
}
