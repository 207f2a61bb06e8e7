// An in-memory SNS topic that keeps Publish's rules: the topic must exist, Subject is under 100 printable ASCII
// characters on one line, Message is non-empty and at most 256 KiB.
import { PublishCommand, type PublishCommandInput, SNSClient, SNSServiceException } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";

/** Builds an SNS error as the SDK surfaces it. */
export function snsError(name: string, message: string): Error {
  return new SNSServiceException({ name, $fault: "client", message, $metadata: { httpStatusCode: 400 } });
}

/** An SNSClient whose Publish calls land in `published`. */
export class FakeSns {
  readonly client = new SNSClient({ region: "us-east-1", credentials: { accessKeyId: "x", secretAccessKey: "y" } });
  readonly published: { subject: string; body: string }[] = [];
  private failures = 0;

  /** @param mockTarget this fake's own client (default) or the SNSClient class, for code that builds its own clients. */
  constructor(
    readonly topicArn = "arn:aws:sns:us-east-1:123456789012:cloudjail-alerts",
    mockTarget: SNSClient | typeof SNSClient = this.client,
  ) {
    mockClient(mockTarget)
      .on(PublishCommand)
      .callsFake(async (input: PublishCommandInput) => this.publish(input));
  }

  /** Makes the next `times` Publish calls fail (throttled). */
  failNext(times = 1): void {
    this.failures += times;
  }

  private publish(input: PublishCommandInput) {
    if (this.failures > 0) {
      this.failures--;
      throw snsError("ThrottledException", "Rate exceeded");
    }
    if (input.TopicArn !== this.topicArn) throw snsError("NotFoundException", "Topic does not exist");
    const subject = input.Subject ?? "";
    if (subject.length >= 100 || !/^[\x20-\x7e]*$/.test(subject)) {
      throw snsError("InvalidParameterException", "Invalid parameter: Subject");
    }
    const body = input.Message ?? "";
    if (body === "" || Buffer.byteLength(body) > 256 * 1024) {
      throw snsError("InvalidParameterException", "Invalid parameter: Message too long or empty");
    }
    this.published.push({ subject, body });
    return { MessageId: `m-${this.published.length}` };
  }
}
