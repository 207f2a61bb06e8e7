// The real stores the contract suite runs against: a SQLite file in a temporary folder, a table in a DynamoDB
// Local started for the suite, and the in-process memory store. Each `create()` gives an empty backing (new file, new table); `open()` gives another
// independent store on it (another connection / another SDK client), as concurrent processes or Lambdas would have.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateTableCommand, type DynamoDBClient, UpdateTimeToLiveCommand } from "@aws-sdk/client-dynamodb";
import { dynamoDbTableDefinition, dynamoDbTimeToLive } from "../../cloud/store/dynamodb-table.js";
import { dynamoDbStore } from "../../cloud/store/sdk-document-table.js";
import { WriteBehindStore } from "../../host/daemon/write-behind-store.js";
import { MemoryBacking, MemoryStore } from "../../shared/store/memory-store.js";
import { SqliteStore } from "../../shared/store/sqlite-store.js";
import { RequestCounters, type Store } from "../../shared/store/store.js";
import { type DynamoDbLocal, startDynamoDbLocal } from "../support/dynamodb-local.js";

/** One empty backing store and the means to open stores on it. */
export interface StoreBacking {
  open(): Store;
  /** Closes everything `open` opened. */
  cleanup(): Promise<void>;
}

/** How the suite gets stores of one kind. */
export interface StoreHarness {
  readonly name: string;
  start(): Promise<void>;
  create(): Promise<StoreBacking>;
  stop(): Promise<void>;
}

/** SQLite on a temporary file (WAL needs a real file to share between connections). */
export function sqliteHarness(): StoreHarness {
  let folder = "";
  let count = 0;
  return {
    name: "sqlite",
    async start() {
      folder = mkdtempSync(join(tmpdir(), "cloudjail-store-"));
    },
    async create() {
      const path = join(folder, `store-${++count}.db`);
      const opened: Store[] = [];
      return {
        open() {
          const store = new SqliteStore(path);
          opened.push(store);
          return store;
        },
        async cleanup() {
          await Promise.all(opened.map((store) => store.close()));
        },
      };
    },
    async stop() {
      if (folder) rmSync(folder, { recursive: true, force: true });
    },
  };
}

/**
 * The host daemon's store: the write-behind layer over a SQLite file. The daemon is the single writer of its
 * database, so every `open()` of a backing gives the same store (one daemon), whose writers are concurrent within it.
 */
export function writeBehindHarness(): StoreHarness {
  let folder = "";
  let count = 0;
  return {
    name: "write-behind sqlite",
    async start() {
      folder = mkdtempSync(join(tmpdir(), "cloudjail-store-wb-"));
    },
    async create() {
      const path = join(folder, `store-${++count}.db`);
      let store: WriteBehindStore | undefined;
      return {
        open() {
          store ??= new WriteBehindStore(Object.assign(new SqliteStore(path), { generation: 0 }), {
            error: (message) => {
              throw new Error(`unexpected store error: ${message}`);
            },
          });
          return writerOf(store);
        },
        async cleanup() {
          await store?.close();
        },
      };
    },
    async stop() {
      if (folder) rmSync(folder, { recursive: true, force: true });
    },
  };
}

/** One writer of a shared store: every call goes to `store`, the writes and conflicts are counted per writer. */
function writerOf(store: Store): Store {
  const counters = new RequestCounters();
  return {
    kind: store.kind,
    get: (jail, fid) => store.get(jail, fid),
    listByFid: (fid) => store.listByFid(fid),
    async put(entry, expectedVersion) {
      const version = await store.put(entry, expectedVersion);
      if (version === undefined) counters.conflicts++;
      else counters.writes++;
      return version;
    },
    activeBans: (now, jail) => store.activeBans(now, jail),
    dueBans: (now) => store.dueBans(now),
    purge: (now) => store.purge(now),
    counters: () => ({ ...counters.snapshot(), reads: store.counters().reads, purged: store.counters().purged }),
    resetCounters: () => {
      counters.reset();
      store.resetCounters();
    },
    close: async () => {},
  };
}

/** DynamoDB Local, one table per backing, one SDK client per opened store. */
export function dynamoDbHarness(): StoreHarness {
  let local: DynamoDbLocal | undefined;
  let count = 0;
  return {
    name: "dynamodb",
    async start() {
      local = await startDynamoDbLocal();
    },
    async create() {
      if (!local) throw new Error("DynamoDB Local not started");
      const server = local;
      const tableName = `jails-${process.pid}-${++count}`;
      const admin = server.client();
      await admin.send(new CreateTableCommand(dynamoDbTableDefinition(tableName)));
      await admin.send(new UpdateTimeToLiveCommand(dynamoDbTimeToLive(tableName)));
      admin.destroy();
      const clients: DynamoDBClient[] = [];
      return {
        open() {
          const client = server.client();
          clients.push(client);
          return dynamoDbStore(client, tableName);
        },
        async cleanup() {
          for (const client of clients) client.destroy();
        },
      };
    },
    async stop() {
      await local?.stop();
    },
  };
}

/** The memory store: one backing per `create()`, shared by the stores `open()` gives (like connections to a file). */
export function memoryHarness(): StoreHarness {
  return {
    name: "memory",
    async start() {},
    async create() {
      const backing = new MemoryBacking();
      return {
        open: () => new MemoryStore(backing),
        async cleanup() {},
      };
    },
    async stop() {},
  };
}
