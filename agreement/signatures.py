"""The two signatures of an agreement: each signer's own place and date, and their answer on sharing.

The form has one line, "Sted og dato", but two leaders sign it, possibly on different days and
in different places: each signature keeps its own (checked by ``agreement.steps.sign``).
Ledelsesutvikling may leave the pair only when both signers said yes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from agreement.access import Role
from storage.models import Agreement


@dataclass(frozen=True)
class PlaceAndDate:
    """Where and on which day a leader signs."""

    place: str
    day: date

    def __str__(self) -> str:
        return format_place_and_date(self.place, self.day)


def format_place_and_date(place: str, day: date | None) -> str:
    """The line as the form has it: "Lørenskog, 02.02.2026" (a migrated signature may have no date)."""
    return place if day is None else f"{place}, {day:%d.%m.%Y}"


@dataclass(frozen=True)
class Signature:
    """One leader's signature: when it was given, the place and date they wrote, and their answer on sharing."""

    signed_at: datetime
    place: str
    day: date | None
    shares_development: bool

    @property
    def place_and_date(self) -> str:
        """The signer's "Sted og dato" line."""
        return format_place_and_date(self.place, self.day)


def signature_of(agreement: Agreement, role: Role) -> Signature | None:
    """The signature of the leader with ``role`` (superior or subordinate), None until they have signed."""
    if role is Role.SUPERIOR:
        signed_at, place = agreement.superior_signed_at, agreement.superior_sign_place
        day, shares = agreement.superior_sign_date, agreement.superior_shares_development
    elif role is Role.SUBORDINATE:
        signed_at, place = agreement.subordinate_signed_at, agreement.subordinate_sign_place
        day, shares = agreement.subordinate_sign_date, agreement.subordinate_shares_development
    else:
        raise ValueError(f"only the two leaders of an agreement sign it, not the {role.value}")
    if signed_at is None:
        return None
    return Signature(signed_at, place or "", day, shares)


def put_signature(agreement: Agreement, role: Role, signed: PlaceAndDate, when: datetime, share: bool) -> None:
    """Write one leader's signature, with their answer on sharing Ledelsesutvikling."""
    if role is Role.SUPERIOR:
        agreement.superior_signed_at, agreement.superior_shares_development = when, share
        agreement.superior_sign_place, agreement.superior_sign_date = signed.place, signed.day
    else:
        agreement.subordinate_signed_at, agreement.subordinate_shares_development = when, share
        agreement.subordinate_sign_place, agreement.subordinate_sign_date = signed.place, signed.day


def signatures_detail(agreement: Agreement) -> dict[str, object]:
    """Both signatures as history detail, kept when they are cleared."""
    detail: dict[str, object] = {}
    for role in (Role.SUPERIOR, Role.SUBORDINATE):
        signed = signature_of(agreement, role)
        if signed is not None:
            detail[f"{role.value}_signed_at"] = signed.signed_at.isoformat()
            detail[f"{role.value}_place"] = signed.place
            detail[f"{role.value}_date"] = signed.day.isoformat() if signed.day else None
            detail[f"{role.value}_shares_development"] = signed.shares_development
    return detail


def clear_signatures(agreement: Agreement) -> None:
    """Clear both signatures with their places, dates and answers on sharing (the text they signed changes).

    The answer on sharing Ledelsesutvikling belongs to the text it was given for: each leader is
    asked again when they sign the new text.
    """
    agreement.superior_signed_at = agreement.subordinate_signed_at = None
    agreement.superior_sign_place = agreement.subordinate_sign_place = None
    agreement.superior_sign_date = agreement.subordinate_sign_date = None
    agreement.superior_shares_development = agreement.subordinate_shares_development = False
