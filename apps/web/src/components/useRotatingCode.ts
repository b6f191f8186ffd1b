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

/**
 * A single-use code (ride code, card code) kept fresh: a new one before the
 * shown one expires, a retry after a failure, and a countdown. `next` makes
 * a code (online, or minted on the phone).
 */
export function useRotatingCode(next: () => Promise<ShownCode>, enabled = true) {
  const [code, setCode] = useState<ShownCode | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [now, setNow] = useState(() => Date.now());
  const [round, setRound] = useState(0);
  const nextRef = useRef(next);
  nextRef.current = next;

  useEffect(() => {
    if (!enabled) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      try {
        const c = await nextRef.current();
        if (!live) return;
        setCode(c);
        setError(null);
        const wait = Math.min(45_000, Math.max(5_000, Date.parse(c.expiresAt) - Date.now() - REFRESH_BEFORE_MS));
        timer = setTimeout(() => void run(), wait);
      } catch (err) {
        if (!live) return;
        setCode(null);
        setError(err);
        // a refusal (in arrears, frozen) changes only by the user's action: ask again slowly
        timer = setTimeout(() => void run(), err instanceof ApiError && err.status < 500 ? 30_000 : 10_000);
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

  const secondsLeft = code ? Math.max(0, Math.round((Date.parse(code.expiresAt) - now) / 1000)) : 0;
  return { code, error, secondsLeft, refresh: () => setRound((r) => r + 1) };
}
