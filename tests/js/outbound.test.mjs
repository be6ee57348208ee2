import assert from "node:assert/strict";
import { test } from "node:test";

import { isOutbound, outboundPill, outboundTitle } from "../../app/static/js/lib/outbound.js";

test("a callback is told from an incoming call by its direction", () => {
  assert.equal(isOutbound({ direction: "outbound" }), true);
  assert.equal(isOutbound({ direction: "inbound" }), false);
  assert.equal(isOutbound({}), false);
  assert.equal(isOutbound(null), false);
});

test("a callback's card names who is being called back", () => {
  assert.equal(outboundTitle({ customer: { name: "Alice Wong" } }), "Calling back Alice Wong");
  assert.equal(outboundTitle({ customer: null, from_display: "(415) 555-0100" }), "Calling back (415) 555-0100");
  assert.equal(outboundTitle({ customer: null }), "Calling back the caller");
});

test("its pill says calling back until connected, then in progress; ended calls read as usual", () => {
  for (const status of ["queued", "initiated", "ringing"]) assert.deepEqual(outboundPill(status), { kind: "outbound", text: "Calling back…" });
  assert.deepEqual(outboundPill("in-progress"), { kind: "answered", text: "Callback in progress" });
  assert.equal(outboundPill("completed"), null);
});
