import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

export interface SigningKey {
  privateKey: KeyObject;
  /** Raw 32-byte Ed25519 public key, base64: the form Telnyx shows in its portal. */
  publicKey: string;
}

const KEY_FILE = 'carrier-twin-key.pem';

function fromPrivateKey(privateKey: KeyObject): SigningKey {
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  // An Ed25519 SPKI structure ends with the 32 raw key bytes.
  return { privateKey, publicKey: spki.subarray(spki.length - 32).toString('base64') };
}

/**
 * The twin's webhook signing key. With a data folder it is generated once and kept there,
 * so the web tier's configured public key stays valid across restarts; without one it lives
 * only as long as the process.
 */
export async function loadOrCreateSigningKey(dataDir?: string): Promise<SigningKey> {
  if (!dataDir) return fromPrivateKey(generateKeyPairSync('ed25519').privateKey);
  const file = path.join(dataDir, KEY_FILE);
  try {
    return fromPrivateKey(createPrivateKey(await fs.readFile(file, 'utf8')));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await fs.mkdir(dataDir, { recursive: true });
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  try {
    // `wx`: if another process created the key meanwhile, use theirs rather than overwrite it.
    await fs.writeFile(file, pem, { mode: 0o600, flag: 'wx' });
    return fromPrivateKey(privateKey);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return fromPrivateKey(createPrivateKey(await fs.readFile(file, 'utf8')));
  }
}

/** Telnyx's webhook signature headers: Ed25519 over `${timestamp}|${body}`, base64. */
export function signWebhook(body: string, privateKey: KeyObject, timestampSecs = Math.floor(Date.now() / 1000)): Record<string, string> {
  const timestamp = String(timestampSecs);
  const signature = sign(null, Buffer.from(`${timestamp}|${body}`, 'utf8'), privateKey).toString('base64');
  return { 'telnyx-signature-ed25519': signature, 'telnyx-timestamp': timestamp };
}
