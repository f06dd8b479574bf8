/**
 * JWTs for the API (Airflow 3's auth manager issues them from POST /auth/token):
 * HS256, subject = username, a `role` claim, expiring after UPDRAFT_API_TOKEN_EXPIRY.
 */
import { jwtVerify, SignJWT } from 'jose';
import { ROLES, type Role } from '../../core/users/users.ts';

export interface TokenClaims { username: string; role: Role }

export async function issueToken(key: Uint8Array, claims: TokenClaims, expiryMs: number): Promise<string> {
  return new SignJWT({ role: claims.role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.username)
    .setIssuedAt()
    .setIssuer('updraft')
    .setExpirationTime(Math.floor((Date.now() + expiryMs) / 1000))
    .sign(key);
}

/** The claims of a valid token, or null (bad signature, expired, malformed, unknown role). */
export async function verifyToken(key: Uint8Array, token: string): Promise<TokenClaims | null> {
  try {
    const { payload } = await jwtVerify(token, key, { issuer: 'updraft', algorithms: ['HS256'] });
    const role = payload.role;
    if (typeof payload.sub !== 'string' || typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) return null;
    return { username: payload.sub, role: role as Role };
  } catch {
    return null;
  }
}
