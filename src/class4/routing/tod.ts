/** Time-of-day / day-of-week windows, evaluated in each window's own IANA time zone. */
import { DAYS, type TimeOfDayConfig } from './config.js';

const formatters = new Map<string, Intl.DateTimeFormat>();

function local(at: Date, tz: string): { day: string; minute: number } {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(tz, f);
  }
  let day = '';
  let hour = 0;
  let minute = 0;
  for (const p of f.formatToParts(at)) {
    if (p.type === 'weekday') day = p.value.toLowerCase().slice(0, 3);
    else if (p.type === 'hour') hour = Number(p.value);
    else if (p.type === 'minute') minute = Number(p.value);
  }
  return { day, minute: hour * 60 + minute };
}

const toMinutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Whether `at` falls in the window; a window whose `to` is before `from` wraps past midnight (its days name where it starts). */
export function windowOpen(w: TimeOfDayConfig, at: Date): boolean {
  const { day, minute } = local(at, w.tz);
  const from = toMinutes(w.from);
  const to = toMinutes(w.to);
  if (from <= to) return (w.days as string[]).includes(day) && minute >= from && minute < to;
  if (minute >= from) return (w.days as string[]).includes(day);
  const prev = DAYS[(DAYS.indexOf(day as (typeof DAYS)[number]) + 6) % 7];
  return (w.days as string[]).includes(prev) && minute < to;
}

export function activeWindow(windows: readonly TimeOfDayConfig[], at: Date): TimeOfDayConfig | undefined {
  for (const w of windows) if (windowOpen(w, at)) return w;
  return undefined;
}
