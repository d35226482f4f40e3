// The `notifiers` section of the detector's configuration: the receivers
// (webhook, Slack, PagerDuty, Alertmanager), what each is sent (routing) and
// how (delivery: timeout, rate limit, retries, outbox size). Only zod here, so
// config/roles.ts can import it cheaply.
import { z } from "zod";
import { SEVERITIES } from "../../core/finding.js";

const routeSchema = z
  .strictObject({
    /** Alerts below this severity are not sent to this receiver. */
    minSeverity: z.enum(SEVERITIES).default("high"),
    /** Only these detection ids ("incident" for incidents); unset = all. */
    detections: z.array(z.string().min(1)).min(1).optional(),
    /** Findings, incidents, or both. */
    types: z
      .array(z.enum(["finding", "incident"]))
      .min(1)
      .default(["finding", "incident"]),
  })
  .prefault({});

const deliverySchema = z
  .strictObject({
    /** One HTTP request, connect to last byte. */
    timeoutMs: z.int().min(100).max(120_000).default(10_000),
    /** Token bucket: sustained rate and burst. */
    ratePerMinute: z.number().positive().max(60_000).default(60),
    burst: z.int().min(1).max(1000).default(10),
    /** Retries back off exponentially (with jitter) from initial to max, forever. */
    initialBackoffMs: z.int().min(10).max(600_000).default(1000),
    maxBackoffMs: z.int().min(10).max(3_600_000).default(300_000),
    /** The outbox's disk bound; beyond it new notices are dropped (counted and logged). */
    maxQueueBytes: z
      .int()
      .min(1024 * 1024)
      .default(64 * 1024 * 1024),
  })
  .prefault({})
  .refine((d) => d.maxBackoffMs >= d.initialBackoffMs, "maxBackoffMs must be >= initialBackoffMs");

const common = {
  /** Names the outbox directory and the metrics label. */
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, "expected lowercase letters, digits, - and _"),
  route: routeSchema,
  delivery: deliverySchema,
};

const oneOf = (a: string, b: string) => (o: Record<string, unknown>) => (o[a] === undefined) !== (o[b] === undefined);

const webhookSchema = z
  .strictObject({
    ...common,
    type: z.literal("webhook"),
    url: z.url({ protocol: /^https?$/ }),
    /** HMAC-SHA256 key for X-Mailwarden-Signature; or secretFile. */
    secret: z.string().min(16).optional(),
    secretFile: z.string().min(1).optional(),
    headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/), z.string()).default({}),
  })
  .refine(oneOf("secret", "secretFile"), "set exactly one of secret, secretFile");

const slackSchema = z
  .strictObject({
    ...common,
    type: z.literal("slack"),
    /** The incoming-webhook URL (it is the credential: prefer urlFile). */
    url: z.url({ protocol: /^https?$/ }).optional(),
    urlFile: z.string().min(1).optional(),
  })
  .refine(oneOf("url", "urlFile"), "set exactly one of url, urlFile");

const pagerDutySchema = z
  .strictObject({
    ...common,
    type: z.literal("pagerduty"),
    /** Events API v2 integration (routing) key; or routingKeyFile. */
    routingKey: z.string().min(1).optional(),
    routingKeyFile: z.string().min(1).optional(),
    url: z.url({ protocol: /^https?$/ }).default("https://events.pagerduty.com/v2/enqueue"),
  })
  .refine(oneOf("routingKey", "routingKeyFile"), "set exactly one of routingKey, routingKeyFile");

const alertmanagerSchema = z.strictObject({
  ...common,
  type: z.literal("alertmanager"),
  /** Alertmanager's base URL, e.g. http://alertmanager:9093 (alerts go to /api/v2/alerts). */
  url: z.url({ protocol: /^https?$/ }),
  /** A firing alert's endsAt: Alertmanager resolves it by itself after this unless resolved earlier. */
  ttlMinutes: z.int().min(5).max(525_600).default(1440),
});

export const receiverSchema = z.discriminatedUnion("type", [
  webhookSchema,
  slackSchema,
  pagerDutySchema,
  alertmanagerSchema,
]);

export const notifiersConfigSchema = z
  .strictObject({
    /** One durable outbox (disk queue) per receiver under this directory. */
    outboxDir: z.string().min(1).default("./state/outbox"),
    /** Link put in notices, e.g. "https://mailwarden.example.net/api/v1/{type}/{id}". */
    linkTemplate: z
      .string()
      .regex(/^https?:\/\/\S+$/, "expected an http(s) URL template")
      .optional(),
    receivers: z
      .array(receiverSchema)
      .default([])
      .superRefine((rs, ctx) => {
        const names = new Set<string>();
        for (const [i, r] of rs.entries()) {
          if (names.has(r.name))
            ctx.addIssue({ code: "custom", path: [i, "name"], message: "duplicate receiver name" });
          names.add(r.name);
        }
      }),
  })
  .prefault({});

export type NotifiersConfig = z.infer<typeof notifiersConfigSchema>;
export type ReceiverConfig = z.infer<typeof receiverSchema>;
export type RouteConfig = z.infer<typeof routeSchema>;
export type DeliveryConfig = z.infer<typeof deliverySchema>;
