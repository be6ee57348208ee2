"""`/api/v1/customers` and `/api/v1/complaints`: thin views over `app.services.customers`."""
from __future__ import annotations

from flask import current_app, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from app.api import guard
from app.api.guard import api_user
from app.api.schemas import (
    ComplaintCreateSchema,
    ComplaintSchema,
    ComplaintUpdateSchema,
    CustomerCreateSchema,
    CustomerPageSchema,
    CustomerQuerySchema,
    CustomerSchema,
    CustomerUpdateSchema,
    PreferenceInSchema,
    PreferenceSchema,
)
from app.services import customers

bp = Blueprint(
    "api_customers", __name__, url_prefix="/api/v1",
    description="Customers, their numbers, preferences and complaints.",
)
guard.protect(bp)

# Ids past 32 bits cannot exist; the URL converter answers 404 before the database is asked.
CUSTOMER_URL = "/customers/<int(max=2147483647):customer_id>"


def _region() -> str:
    return current_app.config["DEFAULT_REGION"]


@bp.route("/customers")
class CustomerList(MethodView):
    @bp.arguments(CustomerQuerySchema, location="query")
    @bp.response(200, CustomerPageSchema)
    @bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def get(self, args: dict):
        """Find customers by number (any format, matched on E.164) and/or part of their name."""
        return customers.search(
            region=_region(), phone=args.get("phone"), q=args.get("q"), page=args["page"],
            per_page=args["per_page"],
        )

    @bp.arguments(CustomerCreateSchema)
    @bp.response(201, CustomerSchema)
    @bp.alt_response(409, response="CONFLICT")
    @bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def post(self, data: dict):
        """Create a customer; numbers are stored in E.164 and an unreadable one is named in a 422."""
        customer = customers.create_customer(region=_region(), recorded_by_id=api_user().id, **data)
        return customer, {"Location": url_for("api_customers.CustomerDetail", customer_id=customer.id)}


@bp.route(CUSTOMER_URL)
class CustomerDetail(MethodView):
    @bp.response(200, CustomerSchema)
    @bp.alt_response(404, response="NOT_FOUND")
    def get(self, customer_id: int):
        """One customer, with their preferences and open complaints."""
        return customers.get_customer(customer_id)

    @bp.arguments(CustomerUpdateSchema)
    @bp.response(200, CustomerSchema)
    @bp.alt_response(404, response="NOT_FOUND")
    @bp.alt_response(409, response="CONFLICT")
    @bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def patch(self, changes: dict, customer_id: int):
        """Change the fields sent; `phones` replaces every number."""
        return customers.update_customer(customer_id, changes, region=_region())

    @bp.response(204)
    @bp.alt_response(404, response="NOT_FOUND")
    def delete(self, customer_id: int):
        """Delete a customer; their calls stay, no longer linked to anyone."""
        customers.delete_customer(customer_id)


@bp.post(CUSTOMER_URL + "/preferences")
@bp.arguments(PreferenceInSchema)
@bp.response(201, PreferenceSchema)
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def add_preference(data: dict, customer_id: int):
    """Record what the customer prefers, as told to the agent making this request."""
    return customers.add_preference(customer_id, data["key"], data["value"], recorded_by_id=api_user().id)


@bp.post(CUSTOMER_URL + "/complaints")
@bp.arguments(ComplaintCreateSchema)
@bp.response(201, ComplaintSchema)
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def open_complaint(data: dict, customer_id: int):
    """Open a complaint; it shows on the customer's screen pop until it is resolved."""
    subject = data.pop("subject")
    return customers.open_complaint(customer_id, subject, opened_by_id=api_user().id, **data)


@bp.patch("/complaints/<int(max=2147483647):complaint_id>")
@bp.arguments(ComplaintUpdateSchema)
@bp.response(200, ComplaintSchema)
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def update_complaint(changes: dict, complaint_id: int):
    """Move a complaint along; `"status": "resolved"` stamps `resolved_at`."""
    return customers.update_complaint(complaint_id, changes)
