"""`/api/v1/customers`, `/preferences` and `/complaints`: thin views over the `app.services.customers` services.

Every role works with customers; deleting one is for supervisors and admins.
"""
from __future__ import annotations

from flask import url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from app.api import guard
from app.api.guard import api_user
from app.models import utcnow
from app.schemas.common import Annotated, masking
from app.schemas.customers import (
    ComplaintCreateSchema,
    ComplaintDetailSchema,
    ComplaintUpdateSchema,
    CustomerCreateSchema,
    CustomerPageSchema,
    CustomerQuerySchema,
    CustomerSchema,
    CustomerUpdateSchema,
    MergeSchema,
    PreferenceInSchema,
    PreferenceSchema,
    PreferenceUpdateSchema,
    TimelineQuerySchema,
    TimelineSchema,
)
from app.services import privacy
from app.services.calls import delivery
from app.services.calls import lifecycle as calls
from app.services.care import summary
from app.services.customers import complaints, merge, preferences, timeline
from app.services.customers import records as customers
from app.services.errors import InvalidInput
from app.services.people import audit
from app.settings import settings

bp = Blueprint(
    "api_customers", __name__, url_prefix="/api/v1",
    description="Customers, their numbers, preferences and complaints.",
)
guard.protect(bp)

# Ids past 32 bits cannot exist; the URL converter answers 404 before the database is asked.
CUSTOMER_URL = "/customers/<id:customer_id>"


def _region() -> str:
    return settings().calls.region


def _changed(customer_id: int, detail: str, action: str = "customer_changed") -> None:
    """On the audit trail (SPEC's supervisors see it): who changed which customer, and what."""
    audit.record(api_user().id, action, customer_id=customer_id, detail=detail)


def _pop_again(live_calls, notice: dict | None = None) -> None:
    """The pops of these live calls again, on every desktop: their customer changed under them."""
    config = settings().calls
    delivery.repop_all(live_calls, region=config.region, presence_ttl_seconds=config.presence_ttl_seconds,
                       now=utcnow(), notice=notice)


def _pop_customer_again(customer_id: int) -> None:
    """The customer's live calls pop again: their cards show the change at once."""
    config = settings().calls
    delivery.repop_customer(customer_id, region=config.region, presence_ttl_seconds=config.presence_ttl_seconds,
                            now=utcnow())


def _with_shared_numbers(customer) -> Annotated:
    return Annotated(customer, shared_numbers=customers.shared_numbers(customer))


def _snapshot(customer, fields) -> dict:
    """The values of `fields` on `customer`, comparable before and after a change (numbers as a set)."""
    values = {}
    for name in fields:
        if name == "phones":
            values[name] = {phone.e164 for phone in customer.phones}
        else:
            values[name] = getattr(customer, name, None)
    return values


@bp.route("/customers")
class CustomerList(MethodView):
    @bp.arguments(CustomerQuerySchema, location="query")
    @bp.response(200, CustomerPageSchema)
    @bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def get(self, args: dict):
        """Find customers by number (any format, matched on E.164) and/or the search box (`q`).

        Every customer on the page is on the audit trail for the user who asked, in one write."""
        found = customers.search(
            region=_region(), phone=args.get("phone"), q=args.get("q"), page=args["page"],
            per_page=args["per_page"], whole_numbers_only=masking(),
        )
        audit.record_reads(api_user().id, [(c.id, None) for c in found.items], "search", utcnow())
        summary.attach(found.items, settings().care, utcnow())  # the page's stages in one statement
        return found

    @bp.arguments(CustomerCreateSchema)
    @bp.response(201, CustomerSchema)
    @bp.alt_response(409, response="CONFLICT")
    @bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def post(self, data: dict):
        """Create a customer; numbers are stored in E.164 and an unreadable one is named in a 422.
        With `call_sid`, that call's caller's number is among them (none when it was withheld)."""
        call_sid = data.pop("call_sid", None)
        if call_sid is not None:
            call = calls.get_call(call_sid)
            if call is None:
                raise InvalidInput(f"call {call_sid} does not exist", {"call_sid": ["no such call"]})
            data["phones"] = [*data["phones"], *([call.from_e164] if call.from_e164 else [])]
        customer = customers.create_customer(region=_region(), recorded_by_id=api_user().id, **data)
        _changed(customer.id, "created")
        return _with_shared_numbers(customer), {"Location": url_for("api_customers.CustomerDetail", customer_id=customer.id)}


@bp.route(CUSTOMER_URL)
class CustomerDetail(MethodView):
    @bp.response(200, CustomerSchema)
    @bp.alt_response(404, response="NOT_FOUND")
    def get(self, customer_id: int):
        """One customer, with their preferences and open complaints."""
        customer = customers.get_customer(customer_id)
        audit.record(api_user().id, "customer_read", customer_id=customer.id)
        return _with_shared_numbers(customer)

    @bp.arguments(CustomerUpdateSchema)
    @bp.response(200, CustomerSchema)
    @bp.alt_response(404, response="NOT_FOUND")
    @bp.alt_response(409, response="CONFLICT")
    @bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def patch(self, changes: dict, customer_id: int):
        """Change the fields sent; `phones` replaces every number. Send the `version` you read: a
        save made from an older copy is refused (409 `conflict`), so a colleague's change survives."""
        expected = changes.pop("version", None)
        current = customers.get_customer(customer_id)
        if "phones" in changes and masking():
            # A masked agent sends back what the page showed: each masked value keeps its number.
            changes["phones"] = privacy.keep_masked_phones(changes["phones"], [p.e164 for p in current.phones],
                                                           _region())
        before = _snapshot(current, changes)
        customer = customers.update_customer(customer_id, changes, region=_region(), expected_version=expected)
        changed = sorted(name for name, value in _snapshot(customer, changes).items() if value != before[name])
        _changed(customer.id, "updated " + ", ".join(changed) if changed else "saved, nothing changed")
        return _with_shared_numbers(customer)

    @guard.require_role("supervisor")
    @bp.response(204)
    @bp.alt_response(403, response="FORBIDDEN")
    @bp.alt_response(404, response="NOT_FOUND")
    def delete(self, customer_id: int):
        """Delete a customer (supervisors and admins); their calls stay, no longer linked to anyone.

        A call with them still going on keeps the caller's number and is matched again without
        them; every desktop gets its pop again, saying whose record was deleted
        (`customer_removed`)."""
        customer = customers.get_customer(customer_id)
        removed = {"customer_removed": {"id": customer.id, "name": customer.name}}
        live = calls.unlink_live_calls(customer_id)
        customers.delete_customer(customer_id)
        _changed(customer_id, "deleted", action="customer_deleted")
        _pop_again(live, notice=removed)


@bp.post(CUSTOMER_URL + "/merge")
@guard.require_role("supervisor")
@bp.arguments(MergeSchema)
@bp.response(200, CustomerSchema)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def merge_customer(data: dict, customer_id: int):
    """Merge a duplicate into this customer (supervisors, admins): its numbers, preferences,
    complaints, follow-ups and calls (notes included) move here, and the duplicate is removed.
    A call with the duplicate still going on pops again on every desktop, now as this customer."""
    moving = calls.live_call_sids_of(data["duplicate_id"])
    kept = merge.merge_customers(customer_id, data["duplicate_id"], acting_user_id=api_user().id)
    _pop_again(call for call in map(calls.get_call, moving) if call is not None)
    return kept


@bp.get(CUSTOMER_URL + "/timeline")
@bp.arguments(TimelineQuerySchema, location="query")
@bp.response(200, TimelineSchema)
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def customer_timeline(args: dict, customer_id: int):
    """Every touchpoint, newest first: calls, their notes, complaints opened and resolved, preferences."""
    entries = timeline.customer_timeline(customer_id, args["limit"])
    audit.record(api_user().id, "customer_read", customer_id=customer_id, detail="timeline")
    return entries


@bp.post(CUSTOMER_URL + "/preferences")
@bp.arguments(PreferenceInSchema)
@bp.response(201, PreferenceSchema)
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def add_preference(data: dict, customer_id: int):
    """Record what the customer prefers, as told to the agent making this request."""
    preference = preferences.add_preference(customer_id, data["key"], data["value"], recorded_by_id=api_user().id)
    _changed(customer_id, f"preference {preference.id} added")
    return preference


@bp.route("/preferences/<id:preference_id>")
class PreferenceDetail(MethodView):
    @bp.arguments(PreferenceUpdateSchema)
    @bp.response(200, PreferenceSchema)
    @bp.alt_response(404, response="NOT_FOUND")
    @bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def patch(self, changes: dict, preference_id: int):
        """Correct a preference; only the fields sent change."""
        preference = preferences.update_preference(preference_id, changes)
        _changed(preference.customer_id, f"preference {preference.id} changed")
        return preference

    @bp.response(204)
    @bp.alt_response(404, response="NOT_FOUND")
    def delete(self, preference_id: int):
        """Forget a preference."""
        customer_id = preferences.delete_preference(preference_id)
        _changed(customer_id, f"preference {preference_id} removed")


@bp.post(CUSTOMER_URL + "/complaints")
@bp.arguments(ComplaintCreateSchema)
@bp.response(201, ComplaintDetailSchema)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def open_complaint(data: dict, customer_id: int):
    """Open a complaint, on a call when `call_sid` is given; it shows on the customer's screen pop
    until it is resolved. Without `due_at` it is due after its severity's COMPLAINT_SLA_HOURS."""
    subject = data.pop("subject")
    user = api_user()
    complaint = complaints.open_complaint(customer_id, subject, opened_by_id=user.id, acting_user=user,
                                         sla_hours=settings().customers.complaint_sla_hours, now=utcnow(), **data)
    _changed(customer_id, f"complaint {complaint.id} opened")
    _pop_customer_again(customer_id)
    return complaint


@bp.patch("/complaints/<id:complaint_id>")
@bp.arguments(ComplaintUpdateSchema)
@bp.response(200, ComplaintDetailSchema)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def update_complaint(changes: dict, complaint_id: int):
    """Edit or move a complaint along; resolving stamps `resolved_at`, reopening clears it.
    Only supervisors and admins assign it to someone other than themselves."""
    complaint = complaints.update_complaint(complaint_id, changes, acting_user=api_user(),
                                            follow_up_hours=settings().care.follow_up_hours)
    _changed(complaint.customer_id, f"complaint {complaint.id}: " + ", ".join(sorted(changes)))
    # The customer's live cards show it at once: a reopened complaint, and the follow-up it opened.
    _pop_customer_again(complaint.customer_id)
    return complaint
