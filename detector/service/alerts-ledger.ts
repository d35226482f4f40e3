// The alerts topic read back as the ledger of what was alerted: finding id →
// highest score alerted. The findings stage reads it when it (re)gains the
// findings topic, so alerts sent after its last checkpoint — by itself before
// a crash, or by the instance that owned the topic before a rebalance — are
// not sent again.
import { randomBytes } from "node:crypto";
import type { Kafka } from "kafkajs";

export type AlertsLedger = () => Promise<Map<string, number>>;

export function alertsLedger(kafka: Kafka, topic: string, groupId: string): AlertsLedger {
  return async () => {
    const alerted = new Map<string, number>();
    const admin = kafka.admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets(topic);
      let remaining = ends.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
      if (remaining === 0) return alerted;
      // A throw-away group: nothing is committed, and the group is deleted after.
      const group = `${groupId}.alerts-ledger-${randomBytes(4).toString("hex")}`;
      const consumer = kafka.consumer({ groupId: group, maxWaitTimeInMs: 100 });
      await consumer.connect();
      try {
        await consumer.subscribe({ topic, fromBeginning: true });
        await new Promise<void>((resolve, reject) => {
          consumer
            .run({
              eachMessage: async ({ message }) => {
                const a = JSON.parse(message.value?.toString() ?? "{}") as { finding?: { id: string; score: number } };
                if (a.finding) alerted.set(a.finding.id, Math.max(a.finding.score, alerted.get(a.finding.id) ?? -1));
                remaining -= 1;
                if (remaining <= 0) resolve();
              },
            })
            .catch(reject);
        });
      } finally {
        await consumer.disconnect();
        await admin.deleteGroups([group]).catch(() => undefined);
      }
      return alerted;
    } finally {
      await admin.disconnect();
    }
  };
}
