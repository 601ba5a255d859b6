import { execFileSync } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** Options of {@link createTestCertificates}. */
export interface CreateTestCertificatesOptions {
  /** The common name of the CA, to tell two CAs apart in a TLS error. Default `streamstore test CA`. */
  caName?: string;
  /** How many days the certificates are valid. Default 2: nothing made for a test should outlive it. */
  days?: number;
}

/** The files {@link createTestCertificates} wrote, and the CA in PEM for clients. */
export interface TestCertificates {
  /** The CA certificate (PEM): what a client trusts, e.g. ioredis `tls: { ca }`. */
  ca: string;
  /** Path of the CA certificate, e.g. for `NODE_EXTRA_CA_CERTS` or `--tls-ca-cert-file`. */
  caFile: string;
  /** Path of the server certificate (signed by the CA, for `localhost` and `127.0.0.1`). */
  certFile: string;
  /** Path of the server certificate's private key (unencrypted). */
  keyFile: string;
}

function openssl(dir: string, args: string[]): void {
  try {
    execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new Error(
        '[streamstore] openssl was not found on PATH: it makes the test CA and server certificate for a TLS redis-server. Install it (apt-get install openssl; in this repository `pnpm test:all` does, see "Running the tests" in its README).',
      );
    }
    const stderr = String((error as { stderr?: unknown }).stderr ?? "");
    throw new Error(`[streamstore] openssl ${args[0]} failed: ${stderr || String(error)}`);
  }
}

/**
 * Makes a throw-away CA and a server certificate it signed for `localhost` and `127.0.0.1`
 * (subjectAltName: clients check the name or the IP against it, never the CN), with openssl, in
 * `dir` (created if missing). For tests of TLS connections only: the keys are unencrypted.
 *
 * @example
 * const certificates = await createTestCertificates(join(dir, "other-ca"), { caName: "some other CA" });
 * const redis = new Redis(url, { tls: { ca: certificates.ca } }); // trusts only that CA
 */
export async function createTestCertificates(
  dir: string,
  options: CreateTestCertificatesOptions = {},
): Promise<TestCertificates> {
  await mkdir(dir, { recursive: true });
  const days = String(options.days ?? 2);
  const key = ["-newkey", "rsa:2048", "-nodes"];
  openssl(
    dir,
    ["req", "-x509", ...key, "-keyout", "ca.key", "-out", "ca.crt", "-days", days].concat([
      "-subj",
      `/CN=${options.caName ?? "streamstore test CA"}`,
    ]),
  );
  openssl(dir, [
    "req",
    ...key,
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
    "-subj",
    "/CN=localhost",
  ]);
  await writeFile(join(dir, "san.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  openssl(dir, [
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.crt",
    "-days",
    days,
    "-extfile",
    "san.ext",
  ]);
  const caFile = join(dir, "ca.crt");
  return {
    ca: await readFile(caFile, "utf8"),
    caFile,
    certFile: join(dir, "server.crt"),
    keyFile: join(dir, "server.key"),
  };
}
