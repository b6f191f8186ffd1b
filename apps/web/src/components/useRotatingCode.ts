import { useEffect, useRef, useState } from 'react';
import { ApiError } from '../api/client';

export interface ShownCode {
  code: string;
  expiresAt: string;
  kind?: 'online' | 'offline';
  /** Offline codes: how many the credential still allows. */
  remaining?: number;
}

/** A new code this long before the shown one expires (a reader scanning it late still has time). */
const REFRESH_BEFORE_MS = 15_000;

/** After a failure that may pass (network, 5xx, 429), the next try this soon. */
const RETRY_TRANSIENT_MS = 5_000;

/**
 * A refusal that only the user's action changes (in arrears, no real name, a
 * frozen card, the session over): no code is shown in its place.
 */
export const isRefusal = (err: unknown): boolean => err instanceof ApiError && err.status < 500 && err.status !== 408 && err.status !== 429;

/**
 * A single-use code (ride code, card code) kept fresh: a new one before the
 * shown one expires, a retry after a failure, and a countdown. `next` makes
 * a code (online, or minted on the phone). When a new code cannot be had for
 * now, the shown one stays while it is valid (a reader still takes it), with
 * the error beside it; a refusal replaces it.
 */
export function useRotatingCode(next: () => Promise<ShownCode>, enabled = true) {
  const [code, setCode] = useState<ShownCode | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [now, setNow] = useState(() => Date.now());
  const [round, setRound] = useState(0);
  const nextRef = useRef(next);
  nextRef.current = next;
  const shown = useRef<ShownCode | null>(null);

  useEffect(() => {
    if (!enabled) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const show = (c: ShownCode | null) => {
      shown.current = c;
      setCode(c);
    };
    const run = async () => {
      try {
        const c = await nextRef.current();
        if (!live) return;
        show(c);
        setError(null);
        const wait = Math.min(45_000, Math.max(5_000, Date.parse(c.expiresAt) - Date.now() - REFRESH_BEFORE_MS));
        timer = setTimeout(() => void run(), wait);
      } catch (err) {
        if (!live) return;
        setError(err);
        if (isRefusal(err)) {
          show(null);
          // changes only by the user's action: ask again slowly
          timer = setTimeout(() => void run(), 30_000);
          return;
        }
        const validFor = shown.current ? Date.parse(shown.current.expiresAt) - Date.now() : 0;
        if (validFor <= 0) show(null);
        // soon, and at the latest when the shown code expires
        timer = setTimeout(() => void run(), validFor > 0 ? Math.min(RETRY_TRANSIENT_MS, validFor) : RETRY_TRANSIENT_MS);
      }
    };
    void run();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [enabled, round]);

  useEffect(() => {
    const tick = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(tick);
  }, []);

  // an expired code is never shown (a renewal that hangs must not leave it on screen)
  const shownCode = code && Date.parse(code.expiresAt) > now ? code : null;
  const secondsLeft = shownCode ? Math.max(0, Math.round((Date.parse(shownCode.expiresAt) - now) / 1000)) : 0;
  return { code: shownCode, error, secondsLeft, refresh: () => setRound((r) => r + 1) };
}
