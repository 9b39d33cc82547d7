/** A throwaway certificate authority and a 127.0.0.1/localhost server certificate for TLS tests. */
import { run } from "./cache.ts";

/** PEM files of a generated test CA and a server key pair it signed. */
export interface TestCerts {
  readonly dir: string;
  readonly caFile: string;
  readonly caPem: string;
  /** Server private key (PKCS#8) followed by its certificate, as Kafka's PEM keystore expects. */
  readonly serverKeystoreFile: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  /** A client certificate signed by the same CA, for mutual-TLS tests. */
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
}

/** Generates a CA and server/client certificates with the openssl CLI into `dir`. */
export async function generateTestCerts(dir: string): Promise<TestCerts> {
  await Deno.mkdir(dir, { recursive: true });
  const p = (name: string) => `${dir}/${name}`;
  // deno-fmt-ignore
  await run("openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "7", "-subj", "/CN=kafka-edge test CA",
    "-keyout", p("ca.key"), "-out", p("ca.pem"),
  ]);
  await Deno.writeTextFile(p("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  for (const who of ["server", "client"]) {
    // deno-fmt-ignore
    await run("openssl", [
      "req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${who === "server" ? "localhost" : "kafka-edge-client"}`,
      "-keyout", p(`${who}.key`), "-out", p(`${who}.csr`),
    ]);
    // deno-fmt-ignore
    await run("openssl", [
      "x509", "-req", "-in", p(`${who}.csr`), "-CA", p("ca.pem"), "-CAkey", p("ca.key"), "-CAcreateserial",
      "-days", "7", "-out", p(`${who}.crt`), ...(who === "server" ? ["-extfile", p("server.ext")] : []),
    ]);
  }
  const keystore = (await Deno.readTextFile(p("server.key"))) + (await Deno.readTextFile(p("server.crt")));
  await Deno.writeTextFile(p("server-keystore.pem"), keystore);
  return {
    dir,
    caFile: p("ca.pem"),
    caPem: await Deno.readTextFile(p("ca.pem")),
    serverKeystoreFile: p("server-keystore.pem"),
    serverCertFile: p("server.crt"),
    serverKeyFile: p("server.key"),
    clientCertFile: p("client.crt"),
    clientKeyFile: p("client.key"),
  };
}
