// The connection badge and the banner. A desk must see at a glance whether
// the numbers are live, and must not miss that a reconnect left a gap: a
// `recovered: false` resume puts up a banner that stays until dismissed.
//
// The badge carries data-state (live | connecting | reconnecting),
// data-reconnects and data-missed (channels reported unrecoverable).

import type { LinkStatus } from './feed-connection';

export class StatusBar {
  private readonly links = new Map<string, LinkStatus>();
  private roundTripMs: number | null = null;
  private missedChannels = 0;
  /** Channels reported missed since the banner was last dismissed, from either connection. */
  private readonly unseen = new Set<string>();

  constructor(
    private readonly badge: HTMLElement,
    private readonly banner: HTMLElement,
    private readonly bannerText: HTMLElement,
    dismiss: HTMLElement,
  ) {
    dismiss.addEventListener('click', () => {
      this.banner.hidden = true;
      this.unseen.clear();
    });
  }

  link(name: string, status: LinkStatus): void {
    this.links.set(name, status);
    this.render();
  }

  roundTrip(ms: number): void {
    this.roundTripMs = ms;
    this.render();
  }

  /** A reconnect's resume could not fill these channels' gaps. */
  missed(channels: readonly string[]): void {
    if (channels.length === 0) return;
    this.missedChannels += channels.length;
    for (const channel of channels) this.unseen.add(channel);
    const all = [...this.unseen].sort();
    const shown = all.slice(0, 4).join(', ') + (all.length > 4 ? ` and ${all.length - 4} more` : '');
    this.show(
      'missed',
      `Missed data at ${new Date().toLocaleTimeString()}: after reconnecting, ` +
        `the server could not replay ${all.length} channel${all.length === 1 ? '' : 's'} (${shown}). ` +
        'Chart history was reloaded; live data resumed from the latest values.',
    );
    this.render();
  }

  problem(text: string): void {
    this.show('problem', text);
  }

  private show(kind: string, text: string): void {
    this.banner.dataset.kind = kind;
    this.bannerText.textContent = text;
    this.banner.hidden = false;
  }

  /** Redraws the badge; called on changes and twice a second for the retry countdown. */
  render(): void {
    const all = [...this.links.values()];
    const waiting = all.filter((s) => s.state === 'waiting');
    const reconnects = all.reduce((n, s) => n + s.reconnects, 0);
    let state: string;
    let text: string;
    if (all.length > 0 && all.every((s) => s.state === 'open')) {
      state = 'live';
      text = `LIVE${this.roundTripMs === null ? '' : ` · ${Math.round(this.roundTripMs)} ms`}`;
    } else if (waiting.length > 0) {
      state = 'reconnecting';
      const retry = Math.max(0, Math.min(...waiting.map((s) => s.retryAt)) - Date.now());
      text = `RECONNECTING · ${(retry / 1000).toFixed(0)} s`;
      this.badge.title = `last close: ${waiting[0]?.lastClose ?? ''}`;
    } else {
      state = 'connecting';
      text = 'CONNECTING';
    }
    if (this.badge.dataset.state !== state || this.badge.textContent !== text) {
      this.badge.dataset.state = state;
      this.badge.textContent = text;
    }
    this.badge.dataset.reconnects = String(reconnects);
    this.badge.dataset.missed = String(this.missedChannels);
  }
}
