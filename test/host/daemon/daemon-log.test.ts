import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { formatLogLine, openDaemonLog, parseLevel } from "../../../host/daemon/daemon-log.js";
import { SyslogSink } from "../../../host/daemon/syslog-sink.js";

/**
 * A syslog socket for the test: a Unix datagram socket (Node has none, Python does) that collects what arrives
 * until `stop`, then gives the datagrams.
 */
async function syslogSocket(path: string): Promise<{ stop: () => Promise<string[]> }> {
  const receiver = spawn("python3", [
    "-c",
    `import socket, sys, json
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("ready", flush=True)
s.settimeout(30)
while True:
    data = s.recv(65536)
    if data == b"STOP": break
    print(json.dumps(data.decode("utf-8", "replace")), flush=True)`,
    path,
  ]);
  let out = "";
  receiver.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString("utf8");
  });
  while (!out.startsWith("ready")) await new Promise((resolve) => setTimeout(resolve, 20));
  return {
    stop: async () => {
      // the last datagram tells the receiver to stop: everything before it has arrived
      const done = new Promise((resolve) => receiver.once("close", resolve));
      const stopper = spawn("python3", [
        "-c",
        "import socket, sys; s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.sendto(b'STOP', sys.argv[1])",
        path,
      ]);
      await new Promise((resolve) => stopper.once("close", resolve));
      await done;
      return out
        .split("\n")
        .slice(1)
        .filter(Boolean)
        .map((line) => JSON.parse(line) as string);
    },
  };
}

const dir = mkdtempSync(join(tmpdir(), "cloudjail-log-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("daemon log", () => {
  it("writes fail2ban's line format", () => {
    const date = new Date(2024, 4, 1, 12, 3, 4, 56);
    expect(formatLogLine(date, "cloudjail.actions", "NOTICE", "[sshd] Ban 192.0.2.7", 812)).toBe(
      "2024-05-01 12:03:04,056 cloudjail.actions       [812]: NOTICE  [sshd] Ban 192.0.2.7",
    );
  });

  it.each([
    // the same millisecond again (its text is made once), then the next millisecond, second, day and back
    [
      [56, 56, 57],
      ["12:03:04,056", "12:03:04,056", "12:03:04,057"],
    ],
    [
      [999, 1000, 999],
      ["12:03:04,999", "12:03:05,000", "12:03:04,999"],
    ],
    [
      [0, 86_400_000, 0],
      ["12:03:04,000", "12:03:04,000", "12:03:04,000"],
    ],
  ])("writes each line's own time, lines in the same millisecond included (%j)", (offsets, times) => {
    const base = new Date(2024, 4, 1, 12, 3, 4, 0).getTime();
    const lines = offsets.map((ms) => formatLogLine(new Date(base + ms), "cloudjail.filter", "INFO", "x", 1));
    expect(lines.map((line) => line.slice(11, 23))).toEqual(times);
    expect(lines.map((line) => line.slice(0, 10))).toEqual(
      offsets.map((ms) => (ms >= 86_400_000 ? "2024-05-02" : "2024-05-01")),
    );
  });

  it("reads fail2ban's level names and numbers", () => {
    expect(parseLevel("notice")).toBe("NOTICE");
    expect(parseLevel("WARN")).toBe("WARNING");
    expect(parseLevel("20")).toBe("INFO");
    expect(parseLevel("HEAVYDEBUG")).toBe("DEBUG");
    expect(parseLevel("loud")).toBeUndefined();
  });

  it("sends SYSLOG entries to the syslog socket, tagged and prioritised like fail2ban's, one entry per line", async () => {
    const path = join(dir, "syslog.sock");
    const socket = await syslogSocket(path);
    const log = openDaemonLog("SYSLOG", "INFO", { syslogSocket: path });
    log.log("NOTICE", "cloudjail.actions", "[sshd] Ban 192.0.2.7\nforged: NOTICE [sshd] Ban 203.0.113.1");
    log.log("ERROR", "cloudjail.filter", "[sshd] line abandoned");
    log.log("NOTICE", "cloudjail.actions", "[sshd] Unban 192.0.2.7");
    log.log("DEBUG", "cloudjail.filter", "not shown");
    await log.close();
    const received = await socket.stop();
    // <29> = facility daemon (3) * 8 + notice (5); <27> = daemon + error (3)
    // one logger process per logger name: entries of different names may arrive in either order
    received.sort((a, b) => (a.includes("cloudjail.actions[") ? -1 : 0) - (b.includes("cloudjail.actions[") ? -1 : 0));
    expect(received).toHaveLength(3);
    expect(received[0]).toMatch(
      new RegExp(
        `^<29>\\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d cloudjail\\.actions\\[${process.pid}\\]: NOTICE \\[sshd\\] Ban 192\\.0\\.2\\.7 forged: NOTICE \\[sshd\\] Ban 203\\.0\\.113\\.1$`,
      ),
    );
    // one name's entries keep their order
    expect(received[1]).toMatch(
      new RegExp(`^<29>.* cloudjail\\.actions\\[${process.pid}\\]: NOTICE \\[sshd\\] Unban 192\\.0\\.2\\.7$`),
    );
    expect(received[2]).toMatch(
      new RegExp(`^<27>.* cloudjail\\.filter\\[${process.pid}\\]: ERROR \\[sshd\\] line abandoned$`),
    );
  });

  it("says once, and goes on, when SYSLOG cannot be written", async () => {
    const reports: string[] = [];
    const missing = new SyslogSink("auto", (message) => reports.push(message), "no-such-logger-command");
    missing.write("cloudjail.actions", 5, "NOTICE one");
    await new Promise((resolve) => setTimeout(resolve, 200));
    missing.write("cloudjail.actions", 5, "NOTICE two");
    await missing.close();
    expect(reports).toEqual([
      expect.stringMatching(/logtarget = SYSLOG does not work.*cannot run no-such-logger-command/),
    ]);

    const nowhere = new SyslogSink(join(dir, "no-socket-here"), (message) => reports.push(message));
    nowhere.write("cloudjail.actions", 5, "NOTICE one");
    await nowhere.close();
    expect(existsSync(join(dir, "no-socket-here"))).toBe(false);
    expect(reports[1]).toMatch(/logtarget = SYSLOG does not work.*logger exited with 1/);
  });

  it("filters by level, keeps one entry per line, and follows logrotate's rename", async () => {
    const path = join(dir, "cloudjail.log");
    const log = openDaemonLog(path, "NOTICE");
    log.log("INFO", "cloudjail.filter", "not shown");
    log.log("NOTICE", "cloudjail.actions", "[sshd] Ban 192.0.2.7\nforged line");
    renameSync(path, `${path}.1`);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    log.log("NOTICE", "cloudjail.actions", "[sshd] Unban 192.0.2.7");
    log.close();
    const rotated = readFileSync(`${path}.1`, "utf8").trim().split("\n");
    expect(rotated).toHaveLength(1);
    expect(rotated[0]).toMatch(/NOTICE {2}\[sshd\] Ban 192\.0\.2\.7 forged line$/);
    expect(readFileSync(path, "utf8")).toMatch(/NOTICE {2}\[sshd\] Unban 192\.0\.2\.7\n$/);
  });
});
