// How far behind a jail is: lines waiting, bytes unread in its files, seconds the journal is read behind. Data in,
// report out: whether it is behind, whether it has caught up, and the sentence of `status`.
import { describe, expect, it } from "vitest";
import {
  hasCaughtUp,
  isBehind,
  JOURNAL_LAG_WARNING_SECONDS,
  lagSentence,
  measureLag,
} from "../../../host/daemon/jail-lag.js";

const threshold = 10_000;
const auth = (bytes: number, averageLineBytes?: number) => ({ path: "/var/log/auth.log", bytes, averageLineBytes });

describe("a jail's lag", () => {
  it.each([
    {
      name: "lines waiting only",
      lag: measureLag(10_000, []),
      behind: true,
      caughtUp: false,
      sentence: "10000 log lines read and not handled yet (falling behind)",
    },
    {
      name: "few lines waiting, a file backlog estimated by the lines read",
      lag: measureLag(700, [auth(2_900_000, 100)]),
      behind: true,
      caughtUp: false,
      sentence:
        "700 log lines read and not handled yet, 2900000 bytes (about 29000 lines) not read yet of /var/log/auth.log " +
        "(falling behind)",
    },
    {
      name: "a file backlog before any line was read: 100 bytes a line",
      lag: measureLag(0, [auth(1_000_000)]),
      behind: true,
      caughtUp: false,
      sentence:
        "0 log lines read and not handled yet, 1000000 bytes (about 10000 lines) not read yet of /var/log/auth.log " +
        "(falling behind)",
    },
    {
      name: "a few bytes a live log has written since the last read",
      lag: measureLag(0, [auth(350, 70)]),
      behind: false,
      caughtUp: true,
      sentence:
        "0 log lines read and not handled yet, 350 bytes (about 5 lines) not read yet of /var/log/auth.log (falling behind)",
    },
    {
      name: "the journal read behind while journalctl's output waits",
      lag: measureLag(4096, [], JOURNAL_LAG_WARNING_SECONDS + 15),
      behind: true,
      caughtUp: false,
      sentence:
        "4096 log lines read and not handled yet, the journal read 75 s behind (journalctl's output waits for the " +
        "jail) (falling behind)",
    },
    {
      name: "the journal a moment behind",
      lag: measureLag(0, [], 2),
      behind: false,
      caughtUp: true,
      sentence:
        "0 log lines read and not handled yet, the journal read 2 s behind (journalctl's output waits for the jail) (falling behind)",
    },
  ])("$name", ({ lag, behind, caughtUp, sentence }) => {
    expect(isBehind(lag, threshold)).toBe(behind);
    expect(hasCaughtUp(lag, threshold)).toBe(caughtUp);
    expect(lagSentence(lag)).toBe(sentence);
  });
});
