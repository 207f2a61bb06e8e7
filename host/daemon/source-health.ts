// Whether a jail can read anything at all. A jail whose logpath matches no file, or whose journal cannot be read,
// bans nobody, and nothing else would say so: the daemon checks at start and every SOURCE_CHECK_INTERVAL_MS, logs
// a WARNING while the problem lasts and shows it in `status JAIL`.
import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { expandGlob } from "../sources/glob.js";
import type { HostJailConfig } from "./jail-config.js";

/** How often a jail without a readable source is checked again and reported again: 5 minutes. */
export const SOURCE_CHECK_INTERVAL_MS = 5 * 60_000;

/** journalctl's own words when it can read nothing (no journal files, or not allowed to see the system's). */
const UNREADABLE_JOURNAL =
  /No journal files were (found|opened)|insufficient permissions|not seeing messages from other users|Permission denied/i;

/** Longest time the journal probe may take before it counts as a failure. */
const PROBE_TIMEOUT_MS = 10_000;

/** The problem with the files of a jail, or undefined when at least one logpath matches a readable file. */
export function fileSourceProblem(config: HostJailConfig): string | undefined {
  const unreadable: string[] = [];
  for (const { pattern } of config.logpaths) {
    for (const file of expandGlob(pattern)) {
      try {
        accessSync(file, constants.R_OK);
        return undefined;
      } catch (error) {
        unreadable.push(`${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
      }
    }
  }
  const patterns = config.logpaths.map((logpath) => logpath.pattern).join(" ");
  if (unreadable.length > 0) return `no readable log file: ${unreadable.join(", ")}`;
  return `no file matches logpath ${patterns}`;
}

/**
 * The problem with the journal, or undefined when journalctl runs and sees journal files. Runs `journalctl --lines=0`
 * (argument vector, no shell), as the daemon's own journalctl would run.
 */
export function journalProblem(journalctl = "journalctl"): Promise<string | undefined> {
  return new Promise((resolve) => {
    let stderr = "";
    let settled = false;
    const done = (problem: string | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(problem);
    };
    const child = spawn(journalctl, ["--no-pager", "--lines=0", "--output=short"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      done(`journalctl (${journalctl}) did not answer within ${PROBE_TIMEOUT_MS / 1000} s`);
    }, PROBE_TIMEOUT_MS);
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-2000);
    });
    child.on("error", (error: NodeJS.ErrnoException) =>
      done(
        error.code === "ENOENT"
          ? `journalctl not found (${journalctl}): the journal cannot be read`
          : `journalctl (${journalctl}) could not run: ${error.message}`,
      ),
    );
    child.on("close", (code, signal) => {
      const said = stderr.trim().split("\n")[0] ?? "";
      if (code !== 0) done(`journalctl (${journalctl}) failed (${code ?? signal}): ${said || "no message"}`);
      else if (UNREADABLE_JOURNAL.test(stderr)) done(`the journal is unreadable: ${said}`);
      else done(undefined);
    });
  });
}

/** Journal probes of one check, by journalctl command: shared by the jails checked together. */
export type JournalProbes = Map<string, Promise<string | undefined>>;

/** The problem with a jail's source (files or journal), or undefined when it can read. */
export async function sourceProblem(
  config: HostJailConfig,
  journalctl?: string,
  probes?: JournalProbes,
): Promise<string | undefined> {
  if (config.source === "files") return fileSourceProblem(config);
  const command = journalctl ?? "journalctl";
  // one probe per check for all the journal jails (forty jails must not mean forty journalctl runs)
  let probe = probes?.get(command);
  if (!probe) {
    probe = journalProblem(command);
    probes?.set(command, probe);
  }
  const problem = await probe;
  // backend = auto fell back to the journal: say that the files were looked for too
  if (problem === undefined || config.logpaths.length === 0 || !isAuto(config)) return problem;
  return `no file matches logpath ${config.logpaths.map((logpath) => logpath.pattern).join(" ")}, and ${problem}`;
}

/** Whether the jail reads the journal only because no logpath file existed (backend = auto). */
export function isAuto(config: HostJailConfig): boolean {
  return config.backend.trim().toLowerCase() === "auto";
}

/** For a backend = auto jail reading the journal: whether a logpath file exists now (the jail should read it). */
export function logFileAppeared(config: HostJailConfig): boolean {
  if (config.source !== "journal" || !isAuto(config)) return false;
  return config.logpaths.some(({ pattern }) => expandGlob(pattern).length > 0);
}
