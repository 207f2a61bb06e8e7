// Publishes alert messages to the stack's SNS topic (email subscriptions come from the configuration).
import type { SNSClient } from "@aws-sdk/client-sns";
import type { AlertMessage } from "./ban-alert.js";

/** Sends alert messages somewhere. */
export interface Notifier {
  publish(message: AlertMessage): Promise<void>;
}

/** A Notifier backed by one SNS topic. */
export class SnsNotifier implements Notifier {
  private made: Promise<SNSClient> | undefined;

  /** `client` may be a factory, called at the first alert (so that a cold start does not load the SNS SDK). */
  constructor(
    private readonly client: SNSClient | (() => Promise<SNSClient>),
    private readonly topicArn: string,
  ) {}

  /** Publishes one message (Subject is already SNS-safe). */
  async publish(message: AlertMessage): Promise<void> {
    // loaded at the first alert, not when the function starts
    const { PublishCommand } = await import("@aws-sdk/client-sns");
    const client = this.client;
    this.made ??= typeof client === "function" ? client() : Promise.resolve(client);
    await (await this.made).send(
      new PublishCommand({ TopicArn: this.topicArn, Subject: message.subject, Message: message.body }),
    );
  }
}
