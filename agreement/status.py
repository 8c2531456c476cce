"""The status of an agreement, derived from what is stored (never set by hand)."""

from __future__ import annotations

import enum

from storage.models import Agreement


class AgreementStatus(str, enum.Enum):
    """The six states of the design, in the order an agreement passes through them."""

    IKKE_STARTET = "ikke startet"
    PLANLAGT = "planlagt"
    FORBEREDT = "forberedt"
    UTFYLT = "utfylt"
    SIGNERT = "signert"
    OPPFOLGING_GJENNOMFORT = "oppfølging gjennomført"

    @property
    def label(self) -> str:
        """The Norwegian label shown to leaders and HR."""
        return self.value


def both_prepared(agreement: Agreement) -> bool:
    return agreement.superior_prepared_at is not None and agreement.subordinate_prepared_at is not None


def is_signed(agreement: Agreement) -> bool:
    """Both leaders have signed: the agreement is locked."""
    return agreement.superior_signed_at is not None and agreement.subordinate_signed_at is not None


def followup_done(agreement: Agreement) -> bool:
    """The superior recorded the follow-up and both leaders confirmed it."""
    return (
        agreement.followup_recorded_at is not None
        and agreement.superior_followup_confirmed_at is not None
        and agreement.subordinate_followup_confirmed_at is not None
    )


def derive_status(agreement: Agreement) -> AgreementStatus:
    """Work out the status from the stored dates and signatures."""
    if is_signed(agreement) and followup_done(agreement):
        return AgreementStatus.OPPFOLGING_GJENNOMFORT
    if is_signed(agreement):
        return AgreementStatus.SIGNERT
    if agreement.filled_at is not None:
        return AgreementStatus.UTFYLT
    if both_prepared(agreement):
        return AgreementStatus.FORBEREDT
    if agreement.meeting_at is not None:
        return AgreementStatus.PLANLAGT
    return AgreementStatus.IKKE_STARTET
