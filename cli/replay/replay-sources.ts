// Where `cloudjail replay` reads past lines from: log files, and CloudWatch Logs log groups through FilterLogEvents.
import type { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { readLogEvents } from "../../cloud/logs/cloudwatch-log-reader.js";
import { readLines } from "../regex/line-reader.js";

/** One past log line with what the engine needs to place it in time. */
export interface SourceLine {
  readonly line: string;
  /** "Now" for this line: year inference, lines without a date. */
  readonly now: number;
  /** Time to use when the line carries no date of its own (the CloudWatch event timestamp). */
  readonly fallbackTime?: number;
  /** Unique id of the event (file:line, or the CloudWatch event id): counted once however often it is replayed. */
  readonly eventId: string;
  /** Where to point a user at this line in a message. */
  readonly where: string;
}

/** A named source of past lines, read once per jail that watches it. */
export interface LineSource {
  readonly label: string;
  lines(): AsyncIterable<SourceLine>;
}

/** The lines of a log file; `now` is the replay's clock. */
export function fileSource(path: string, now: number): LineSource {
  return {
    label: path,
    async *lines() {
      let number = 0;
      for (const line of readLines(path)) {
        number++;
        if (line === "") continue;
        yield { line, now, eventId: `${path}:${number}`, where: `${path}:${number}` };
      }
    },
  };
}

/** The events of a log group since `startTime` (epoch seconds); each event's timestamp is its "now". */
export function logGroupSource(client: CloudWatchLogsClient, logGroupName: string, startTime: number): LineSource {
  return {
    label: logGroupName,
    async *lines() {
      for await (const event of readLogEvents(client, { logGroupName, startTime: Math.floor(startTime * 1000) })) {
        const time = event.timestamp / 1000;
        yield {
          line: event.message.replace(/\r?\n$/, ""),
          now: time,
          fallbackTime: time,
          eventId: event.id,
          where: `${logGroupName} ${event.logStream} event ${event.id}`,
        };
      }
    },
  };
}
