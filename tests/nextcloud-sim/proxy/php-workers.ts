// The PHP workers the PHP proxy pins. Nextcloud's HTTP client (Guzzle on curl, TIMEOUT 0) blocks a worker
// until the ExApp's response has ended, and PHP cannot notice a departed client while blocked in curl: an
// event stream behind the PHP proxy holds its worker for as long as the app keeps it open.
export class PhpWorkers {
  private busy = 0;

  /** PHP-proxy requests forwarded to an ExApp whose response has not ended (or failed) yet. */
  get busyWorkers(): number {
    return this.busy;
  }

  /** Counts a worker as busy while `work` runs, however it ends. */
  async hold<T>(work: () => Promise<T>): Promise<T> {
    this.busy++;
    try {
      return await work();
    } finally {
      this.busy--;
    }
  }
}
