// The analyst workflow of an alert (a finding or an incident), as pure rules:
//   open ──ack──▶ acknowledged ──resolve──▶ resolved
//     └────────────resolve─────────────────▲   │
//     ▲──────────────reopen───────────────────┘ (and from acknowledged)
// Repeating the action an alert is already in is allowed (a double click, a
// retried request) and changes nothing; acknowledging a resolved alert is a
// conflict. Feedback (the analyst's verdict) never changes the status.

export const ALERT_STATUSES = ["open", "acknowledged", "resolved"] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

export const VERDICTS = ["true_positive", "false_positive", "benign_true_positive"] as const;
export type Verdict = (typeof VERDICTS)[number];

export const STATUS_ACTIONS = ["acknowledge", "resolve", "reopen"] as const;
export type StatusAction = (typeof STATUS_ACTIONS)[number];

export type AlertType = "finding" | "incident";

const TARGET: Record<StatusAction, AlertStatus> = {
  acknowledge: "acknowledged",
  resolve: "resolved",
  reopen: "open",
};

const ALLOWED_FROM: Record<StatusAction, readonly AlertStatus[]> = {
  acknowledge: ["open", "acknowledged"],
  resolve: ["open", "acknowledged", "resolved"],
  reopen: ["open", "acknowledged", "resolved"],
};

export type Transition = { ok: true; status: AlertStatus; changed: boolean } | { ok: false; reason: string };

export function transition(current: AlertStatus, action: StatusAction): Transition {
  if (!ALLOWED_FROM[action].includes(current)) {
    return { ok: false, reason: `cannot ${action} an alert that is ${current}` };
  }
  const status = TARGET[action];
  return { ok: true, status, changed: status !== current };
}
