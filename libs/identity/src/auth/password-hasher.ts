import { Injectable } from '@nestjs/common';
import argon2 from 'argon2';

/**
 * argon2id at one of OWASP's equivalent minimum settings: 9 MiB, 4 passes,
 * 1 lane (the same defence as 19 MiB and 2 passes, trading memory for
 * passes; about the same CPU). The memory matters beyond the hash itself:
 * each hash runs on one of libuv's threadpool threads, and glibc keeps the
 * block it allocates in that thread's arena once freed, so every threadpool
 * thread that ever hashed holds one hash's memory for good. With 19 MiB and
 * 4 threads that was 77 MB of the API's resident memory after the first
 * logins; now 36 MB. Hashes stored with the old settings still verify (the
 * settings are read from the hash) and are hashed again with these at the
 * user's next successful login (AuthService).
 */
const OPTIONS = { type: argon2.argon2id, memoryCost: 9216, timeCost: 4, parallelism: 1 } as const;

@Injectable()
export class PasswordHasher {
  private dummy?: Promise<string>;

  hash(password: string): Promise<string> {
    return argon2.hash(password, OPTIONS);
  }

  /**
   * True for a hash stored with other settings than today's (an older
   * OPTIONS, or a hash that cannot be read): worth hashing again at the
   * next successful login, the only moment the password is known.
   */
  needsRehash(hash: string): boolean {
    try {
      return argon2.needsRehash(hash, OPTIONS);
    } catch {
      return true;
    }
  }

  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await argon2.verify(hash, password);
    } catch {
      return false;
    }
  }

  /** Spends the same time as a real check, so that unknown phones cannot be told apart by timing. */
  async burn(password: string): Promise<void> {
    this.dummy ??= this.hash('not-a-real-password-' + Math.random());
    await this.verify(await this.dummy, password);
  }
}
