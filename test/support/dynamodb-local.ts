// Starts a real DynamoDB Local (the DynamoDBLocal.jar shipped by the amplify-dynamodb-simulator npm package) on a
// free loopback port, for the store contract suite and the bench; stops it afterwards.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";

/** A running DynamoDB Local. */
export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly port: number;
  /** A fresh client for it (tests that need several writers take one each). */
  client(): DynamoDBClient;
  /** Stops the Java process and waits for it to exit. */
  stop(): Promise<void>;
}

/** Folder holding DynamoDBLocal.jar and its native libraries, found inside node_modules. */
export function dynamoDbLocalHome(): string {
  const require = createRequire(import.meta.url);
  const home = join(dirname(require.resolve("amplify-dynamodb-simulator/package.json")), "emulator");
  if (!existsSync(join(home, "DynamoDBLocal.jar"))) {
    throw new Error(`DynamoDBLocal.jar not found in ${home}: run 'npm ci'`);
  }
  return home;
}

/** Throws with what to do when `java` is not installed (scripts/prepare-test-env.mjs installs it). */
function requireJava(): void {
  if (spawnSync("java", ["-version"], { stdio: "ignore" }).status !== 0) {
    throw new Error("java is missing: run 'node scripts/prepare-test-env.mjs' (installs openjdk-17-jre-headless)");
  }
}

/** A TCP port that is free on the loopback interface right now. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/**
 * Starts DynamoDB Local in memory (no files, telemetry off) and resolves once it answers ListTables.
 * Rejects with the process output when it exits or does not answer within `timeoutMs`.
 */
export async function startDynamoDbLocal(timeoutMs = 90_000): Promise<DynamoDbLocal> {
  requireJava();
  const home = dynamoDbLocalHome();
  const port = await freeLoopbackPort();
  const java = spawn(
    "java",
    [
      `-Djava.library.path=${join(home, "DynamoDBLocal_lib")}`,
      "-Xmx512m",
      "-jar",
      join(home, "DynamoDBLocal.jar"),
      "-inMemory",
      "-disableTelemetry",
      "-port",
      String(port),
    ],
    { cwd: home, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  java.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  java.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  // If the test process dies without calling stop(), the Java process must not outlive it.
  const killOnExit = () => java.kill("SIGKILL");
  process.once("exit", killOnExit);
  const exited = new Promise<number | null>((resolve) =>
    java.once("exit", (code) => {
      process.removeListener("exit", killOnExit);
      resolve(code);
    }),
  );
  const endpoint = `http://127.0.0.1:${port}`;
  const client = () =>
    new DynamoDBClient({
      endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
      maxAttempts: 3,
    });

  const probe = client();
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (java.exitCode !== null) throw new Error(`DynamoDB Local exited (${java.exitCode}):\n${output}`);
      try {
        await probe.send(new ListTablesCommand({}));
        break;
      } catch {
        if (Date.now() > deadline) {
          await stop(java, exited);
          throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${timeoutMs} ms:\n${output}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  } finally {
    probe.destroy();
  }
  return { endpoint, port, client, stop: () => stop(java, exited) };
}

async function stop(java: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (java.exitCode !== null || java.signalCode !== null) return;
  java.kill("SIGTERM");
  const timer = setTimeout(() => java.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}
