import { createRemoteJWKSet, jwtVerify, SignJWT, type JWTVerifyGetKey } from 'jose';
import { HttpError } from '../http/httpError';
import type { Caller } from '../sync/types';

/** How the server checks bearer tokens. */
export type AuthConfig =
  /** JWTs signed with an HS256 secret, or by keys from a JWKS URL; claims `sub`, `org`, `role`. */
  | { mode: 'jwt'; secret?: string; jwksUrl?: string; issuer?: string; audience?: string }
  /** For local trials only: `POST /auth/dev-token` issues HS256 tokens signed with `secret` (random by default). */
  | { mode: 'dev'; secret?: string };

/** Verifies tokens and, in dev mode, issues them. */
export interface Auth {
  readonly dev: boolean;
  verify(token: string | undefined): Promise<Caller>;
  issueDevToken?(claims: { user: string; org: string; role: string }): Promise<string>;
}

/** Builds the verifier of an auth config; refuses a config that could not verify anything. */
export function createAuth(config: AuthConfig): Auth {
  const secret = config.mode === 'dev' ? (config.secret ?? crypto.randomUUID() + crypto.randomUUID()) : config.secret;
  if (config.mode === 'jwt' && !secret && !config.jwksUrl) throw new Error('auth: mode "jwt" needs a secret (JWT_SECRET) or a jwksUrl');
  const hmac = secret ? new TextEncoder().encode(secret) : undefined;
  const jwks: JWTVerifyGetKey | undefined = config.mode === 'jwt' && config.jwksUrl ? createRemoteJWKSet(new URL(config.jwksUrl)) : undefined;
  const verifyOptions = config.mode === 'jwt' ? { ...(config.issuer ? { issuer: config.issuer } : {}), ...(config.audience ? { audience: config.audience } : {}) } : {};

  return {
    dev: config.mode === 'dev',
    async verify(token) {
      if (!token) throw new HttpError(401, 'UNAUTHORIZED', 'Missing bearer token: send Authorization: Bearer <jwt>.');
      let payload: Record<string, unknown>;
      try {
        payload = (jwks ? await jwtVerify(token, jwks, verifyOptions) : await jwtVerify(token, hmac!, { ...verifyOptions, algorithms: ['HS256'] })).payload;
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === 'ERR_JWT_EXPIRED') throw new HttpError(401, 'UNAUTHORIZED', 'Token expired: get a new token and retry.');
        throw new HttpError(401, 'UNAUTHORIZED', 'Invalid token: it is malformed or not signed with this server\'s key.');
      }
      const { sub, org, role } = payload;
      if (typeof sub !== 'string' || typeof org !== 'string' || org.length === 0) {
        throw new HttpError(401, 'UNAUTHORIZED', 'Token lacks the "sub" and "org" claims every chartsync token needs.');
      }
      return { user: sub, org, role: typeof role === 'string' ? role : null };
    },
    ...(config.mode === 'dev'
      ? {
          issueDevToken: ({ user, org, role }: { user: string; org: string; role: string }) =>
            new SignJWT({ org, role }).setProtectedHeader({ alg: 'HS256' }).setSubject(user).setIssuedAt().setExpirationTime('12h').sign(hmac!),
        }
      : {}),
  };
}
