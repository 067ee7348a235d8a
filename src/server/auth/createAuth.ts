import { createRemoteJWKSet, jwtVerify, SignJWT, type JWTVerifyGetKey } from 'jose';
import { ChartsyncError } from '../../core/errors';
import { unstorableString } from '../../protocol/jsonSafety';
import { HttpError } from '../http/httpError';
import type { Caller } from '../sync/types';

/** How the server checks bearer tokens. */
export type AuthConfig =
  /**
   * JWTs signed with an HS256 secret, or by keys from a JWKS URL; claims `sub`, `org`, `role` and `exp`
   * (required). With a JWKS URL, `audience` is required and checked (a provider's keys sign tokens for
   * many apps); `issuer` is checked when given.
   */
  | { mode: 'jwt'; secret?: string; jwksUrl?: string; issuer?: string; audience?: string }
  /** For local trials only: `POST /auth/dev-token` issues HS256 tokens signed with a random secret made at start. */
  | { mode: 'dev' };

/** Verifies tokens and, in dev mode, issues them. */
export interface Auth {
  readonly dev: boolean;
  verify(token: string | undefined): Promise<Caller>;
  issueDevToken?(claims: { user: string; org: string; role: string }): Promise<string>;
}

/** The longest `sub` and `org` claims accepted (the org travels in every poke's NOTIFY payload). */
export const MAX_CLAIM_LENGTH = 256;
/** The longest `role` claim accepted. */
export const MAX_ROLE_LENGTH = 64;

/** Builds the verifier of an auth config; refuses a config that could not verify anything, or would verify too much. */
export function createAuth(config: AuthConfig): Auth {
  if (config.mode === 'dev' && 'secret' in config && (config as { secret?: unknown }).secret !== undefined) {
    throw new ChartsyncError(
      'CONFIG',
      'auth: dev mode signs with a random secret of its own; a real secret would make dev tokens valid on a production server. Drop the secret (unset JWT_SECRET) or use mode "jwt".',
    );
  }
  const secret = config.mode === 'dev' ? crypto.randomUUID() + crypto.randomUUID() : config.secret;
  if (config.mode === 'jwt' && !secret && !config.jwksUrl) throw new ChartsyncError('CONFIG', 'auth: mode "jwt" needs a secret (JWT_SECRET) or a jwksUrl');
  if (config.mode === 'jwt' && config.jwksUrl && !config.audience) {
    throw new ChartsyncError(
      'CONFIG',
      'auth: a jwksUrl needs an audience (the "aud" your provider puts in tokens for this app): without it, tokens the provider signs for any other app would be accepted.',
    );
  }
  const hmac = secret ? new TextEncoder().encode(secret) : undefined;
  const jwks: JWTVerifyGetKey | undefined = config.mode === 'jwt' && config.jwksUrl ? createRemoteJWKSet(new URL(config.jwksUrl)) : undefined;
  const verifyOptions = {
    requiredClaims: ['exp'],
    ...(config.mode === 'jwt' && config.issuer ? { issuer: config.issuer } : {}),
    ...(config.mode === 'jwt' && config.audience ? { audience: config.audience } : {}),
  };

  return {
    dev: config.mode === 'dev',
    async verify(token) {
      if (!token) throw new HttpError(401, 'UNAUTHORIZED', 'Missing bearer token: send Authorization: Bearer <jwt>.');
      let payload: Record<string, unknown>;
      try {
        payload = (jwks ? await jwtVerify(token, jwks, verifyOptions) : await jwtVerify(token, hmac!, { ...verifyOptions, algorithms: ['HS256'] })).payload;
      } catch (error) {
        const { code, claim } = error as { code?: string; claim?: string };
        if (code === 'ERR_JWT_EXPIRED') throw new HttpError(401, 'UNAUTHORIZED', 'Token expired: get a new token and retry.');
        if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && claim === 'exp')
          throw new HttpError(401, 'UNAUTHORIZED', 'Token lacks the "exp" claim: chartsync tokens must expire.');
        if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED')
          throw new HttpError(401, 'UNAUTHORIZED', `Token was not issued for this server: its "${claim ?? 'claims'}" claim does not match.`);
        throw new HttpError(401, 'UNAUTHORIZED', "Invalid token: it is malformed or not signed with this server's key.");
      }
      const { sub, org, role, exp } = payload;
      if (typeof sub !== 'string' || typeof org !== 'string' || org.length === 0 || sub.length === 0) {
        throw new HttpError(401, 'UNAUTHORIZED', 'Token lacks the "sub" and "org" claims every chartsync token needs.');
      }
      for (const [name, value, max] of [
        ['sub', sub, MAX_CLAIM_LENGTH],
        ['org', org, MAX_CLAIM_LENGTH],
        ['role', role, MAX_ROLE_LENGTH],
      ] as const) {
        if (value === undefined || value === null) continue;
        if (typeof value !== 'string' || value.length > max || unstorableString(value)) {
          throw new HttpError(401, 'UNAUTHORIZED', `Token's "${name}" claim must be a string of at most ${max} characters of valid Unicode without NUL.`);
        }
      }
      return { user: sub, org, role: typeof role === 'string' ? role : null, ...(typeof exp === 'number' ? { expiresAt: exp * 1000 } : {}) };
    },
    ...(config.mode === 'dev'
      ? {
          issueDevToken: ({ user, org, role }: { user: string; org: string; role: string }) =>
            new SignJWT({ org, role }).setProtectedHeader({ alg: 'HS256' }).setSubject(user).setIssuedAt().setExpirationTime('12h').sign(hmac!),
        }
      : {}),
  };
}
