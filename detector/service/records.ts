// Decoding Kafka records into events at the edge: a record that is not a valid
// event goes to the dead-letter topic with its reason and is counted; it never
// stops the stage.
import type { IHeaders, Message } from "kafkajs";
import { type MailEvent, validateEvent } from "../../events/event.js";
import type { StageMessage } from "./stage.js";

export interface DecodedBatch {
  /** Valid events with the input lane (topic/partition) they came from and the record's headers. */
  events: { event: MailEvent; lane: string; headers: IHeaders | undefined }[];
  deadLetters: { topic: string; messages: Message[] };
}

export function decodeEvents(messages: StageMessage[], deadletterTopic: string): DecodedBatch {
  const events: DecodedBatch["events"] = [];
  const dead: Message[] = [];
  for (const { topic, partition, message } of messages) {
    const text = message.value?.toString("utf8") ?? "";
    let reason: string;
    try {
      const r = validateEvent(JSON.parse(text));
      if (r.ok) {
        events.push({ event: r.event, lane: `${topic}/${partition}`, headers: message.headers });
        continue;
      }
      reason = r.reason;
    } catch {
      reason = "not JSON";
    }
    dead.push({
      key: message.key,
      value: message.value,
      headers: {
        reason: reason.slice(0, 500),
        origin: `${topic}/${partition}/${message.offset}`,
      },
    });
  }
  return { events, deadLetters: { topic: deadletterTopic, messages: dead } };
}
