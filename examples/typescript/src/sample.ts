// The sample delivery (a ClickFunnels order.completed webhook, copied from hooknorm's test
// fixtures) and what hooknormd must make of it.

import { readFile } from "node:fs/promises";
import { getOption } from "@bufbuild/protobuf";
import { EventSchema as ClickFunnelsEventSchema } from "./gen/hooknorm/clickfunnels/v1/event_pb.js";
import { OrderBillingStatus } from "./gen/hooknorm/clickfunnels/v1/order_pb.js";
import type { Event } from "./gen/hooknorm/v1/event_pb.js";
import { event_type } from "./gen/hooknorm/options/v1/options_pb.js";
import { Source } from "./gen/hooknorm/v1/source_pb.js";
import { expectEqual, present } from "./expect.js";

/** sampleFile is the delivery, beside package.json. */
const sampleFile = new URL("../clickfunnels-order_completed.json", import.meta.url);

/** Sample is the delivery as sent (bytes) and as read (the keys the checks compare with). */
export interface Sample {
  readonly body: Uint8Array<ArrayBuffer>;
  readonly eventId: string;
  readonly eventType: string;
  readonly workspaceId: number;
  readonly orderNumber: string;
  readonly totalAmount: string;
  readonly buyerEmail: string;
}

/** loadSample reads the sample delivery. */
export async function loadSample(): Promise<Sample> {
  const body = new Uint8Array(await readFile(sampleFile));
  const json = JSON.parse(new TextDecoder().decode(body));
  return {
    body,
    eventId: json.event_id,
    eventType: json.event_type,
    workspaceId: json.workspace_id,
    orderNumber: json.data.order_number,
    totalAmount: json.data.total_amount,
    buyerEmail: json.data.contact.email_address,
  };
}

/**
 * expectOrderCompleted checks that event is the sample delivery, typed: the envelope names it,
 * and its payload is the clickfunnels case order_completed, an Order with the delivery's values.
 */
export function expectOrderCompleted(event: Event, sample: Sample): void {
  expectEqual("event.id", event.id, sample.eventId);
  expectEqual("event.source", Source[event.source], Source[Source.CLICKFUNNELS]);
  expectEqual("event.type", event.type, sample.eventType);
  expectEqual("event.tenant", event.tenant, String(sample.workspaceId));
  present("event.occurredAt", event.occurredAt);
  expectEqual("event.payload.case", event.payload.case, "clickfunnels");
  const clickfunnels = present("event.clickfunnels", event.payload.case === "clickfunnels" ? event.payload.value : undefined);
  expectEqual("event.clickfunnels.event.case", clickfunnels.event.case, "orderCompleted");
  const order = present("order", clickfunnels.event.case === "orderCompleted" ? clickfunnels.event.value : undefined);
  expectEqual("order.orderNumber", order.orderNumber, sample.orderNumber);
  expectEqual("order.totalAmount", order.totalAmount, sample.totalAmount);
  expectEqual("order.billingStatus", OrderBillingStatus[order.billingStatus], OrderBillingStatus[OrderBillingStatus.PAID]);
  expectEqual("order.contact.emailAddress", order.contact?.emailAddress, sample.buyerEmail);
}

/**
 * clickFunnelsCaseOf returns the case of hooknorm.clickfunnels.v1.Event (its TypeScript name, as
 * in event.case) whose hooknorm.options.v1.event_type option lists eventType, the provider's
 * spelling: the same table hooknormd converts by.
 */
export function clickFunnelsCaseOf(eventType: string): string | undefined {
  return ClickFunnelsEventSchema.fields.find((field) => getOption(field, event_type).includes(eventType))?.localName;
}
