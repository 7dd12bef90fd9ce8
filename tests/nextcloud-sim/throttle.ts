// Nextcloud's brute-force throttler, reduced to what an ExApp can observe: attempts per IP and action within
// a window, and a hard stop (429) once the maximum is reached.
export class Throttler {
  private readonly attempts = new Map<string, number[]>();

  constructor(
    private readonly maxAttempts = 10,
    private readonly windowMs = 30 * 60_000,
  ) {}

  registerAttempt(ip: string, action: string): void {
    const key = `${action}|${ip}`;
    const list = this.recent(key);
    list.push(Date.now());
    this.attempts.set(key, list);
  }

  isBlocked(ip: string, action: string): boolean {
    return this.recent(`${action}|${ip}`).length >= this.maxAttempts;
  }

  attemptsFor(ip: string, action: string): number {
    return this.recent(`${action}|${ip}`).length;
  }

  reset(ip: string, action: string): void {
    this.attempts.delete(`${action}|${ip}`);
  }

  private recent(key: string): number[] {
    const cutoff = Date.now() - this.windowMs;
    return (this.attempts.get(key) ?? []).filter((time) => time > cutoff);
  }
}
