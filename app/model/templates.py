"""Starting designs for ``cld new --template``: a full B2B SaaS lifecycle, one onboarding
blueprint, and an empty board.

Each template is plain data (stages, lanes, cards, links with stable, readable ids) turned
into edits by the builders of :mod:`app.model.edits` and written as three Changes
(structure, cards, links): the builders check that a card's lane and stage, and a link's
cards, already exist.

Intended gaps in ``b2b-saas`` (real boards have them; the analysis must find exactly these,
see ``B2B_SAAS_GAPS``):

- unsupported touchpoints: "Community forum" (``c-community-forum``) and "Status page"
  (``c-status-page``), both in Adopt: nothing in the back stage or a team's process feeds them.
- orphan back stage: "Win/loss analysis" (``c-bs-winloss``, Acquire): Sales Ops does it and
  nothing customer-facing ever uses it.
- pain without an opportunity: "Security questionnaire repeated at every renewal"
  (``c-pain-repeat-questionnaire``, Renew), although the trust-center idea in Acquire would
  answer it.
- loop-back: the flow link ``k-save-plan-to-health`` from "Save plan: re-onboard the inactive
  teams" (Renew) back to "Review the adoption health score" (Adopt). It closes the one cycle
  among process cards; left out, the process graph is acyclic and the critical path runs
  through all five stages, from the partner referral in Acquire through the PS implementation
  and the cross-sell to the co-termed partner licence in Renew: 225 h (``B2B_SAAS_PROCESS``).
- bottleneck: "Implementation: configuration and data migration" (``c-ps-implementation``,
  80 h) and the partner's ERP integration (40 h) dwarf the other Onboard steps.

Process cards carry an owner (a role), ``duration_hours`` and ``cost``: the effort at the
role's loaded hourly rate in USD (``RATES``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.model.clock import make_stamp, stamp_wall
from app.model.document import Document, Edit
from app.model.edits import add_card, add_lane, add_link, add_stage
from app.model.ranks import key_between

# -- the template catalogue ----------------------------------------------------------


@dataclass(frozen=True)
class Template:
    """A named starting design: what it is for and how to fill a new file with it."""

    name: str
    description: str
    title: str  # the design's name when the user gives none
    fill: Callable[[Document], None]


#: stage: (id, name, phase, description)
StageSpec = tuple[str, str, str, str]
#: lane: (id, name, kind, team)
LaneSpec = tuple[str, str, str, str]
#: link: (id or "", source, target, kind, label)
LinkSpec = tuple[str, str, str, str, str]

#: loaded hourly cost of each role, USD
RATES: dict[str, float] = {
    "AE": 150, "SDR": 60, "Sales engineer": 140, "Sales manager": 170, "Account manager": 140,
    "Renewal manager": 120, "CSM": 110, "CS manager": 140, "Implementation consultant": 160,
    "Engagement manager": 170, "Trainer": 120, "Partner consultant": 150, "Partner manager": 130,
    "Support engineer": 70, "Support lead": 90,
}  # fmt: skip


def _card(cid: str, lane: str, stage: str, title: str, **fields: Any) -> dict[str, Any]:
    return {"id": cid, "lane": lane, "stage": stage, "title": title, **fields}


def _step(
    cid: str, lane: str, stage: str, title: str, owner: str, hours: float, *, kind: str = "step",
    **fields: Any,
) -> dict[str, Any]:  # fmt: skip
    """A process card: every one has an owner, a duration and the cost of that effort."""
    return _card(cid, lane, stage, title, kind=kind, owner=owner, duration_hours=hours,
                 cost=round(hours * RATES[owner], 2), **fields)  # fmt: skip


#: the wall clock (ms) of every template change: older than any edit a person makes, so an
#: edit of a template card always wins over the template's own value
TEMPLATE_WALL = 1
TEMPLATE_AUTHOR = "template"


def is_template_stamp(stamp: str) -> bool:
    """Whether a stamp is a template's (the content a file was made with, not an edit)."""
    return stamp_wall(stamp) == TEMPLATE_WALL


def _commit_template(doc: Document, edits: list[Edit], part: int) -> None:
    """Apply one part of a template as the same Change in every file made from it.

    Its id comes from its content and its stamp is TEMPLATE_WALL, so two files made from
    one template hold identical changes: synced into one room or merged with ``cld merge``
    they dedupe instead of overwriting each other, and never beat a real edit.
    """
    if not edits:
        return
    change = doc.new_change(edits, author=TEMPLATE_AUTHOR)
    digest = hashlib.sha256(
        json.dumps([list(w) for w in change.writes], sort_keys=True, default=str).encode()
    ).hexdigest()[:16]
    replica = f"tpl-{digest}"
    change = change.model_copy(
        update={"id": f"{replica}:{part}", "stamp": make_stamp(TEMPLATE_WALL, part, replica)}
    )
    doc.apply(change, origin="merge")


def _fill(
    doc: Document,
    stages: Sequence[StageSpec],
    lanes: Sequence[LaneSpec],
    cards: Sequence[dict[str, Any]],
    links: Sequence[LinkSpec],
) -> None:
    """Write a template as three Changes: stages and lanes, then cards, then links."""
    edits: list[Edit] = []
    rank: str | None = None
    for sid, name, phase, description in stages:
        rank = key_between(rank, None)
        edits += add_stage(doc, name, stage_id=sid, phase=phase, description=description,
                           rank=rank)[1]  # fmt: skip
    layer_rank: dict[str, str | None] = {}
    for lid, name, kind, team in lanes:
        _, lane_edits = add_lane(doc, name, kind, team=team, lane_id=lid)
        layer = next(v for _, _, f, v in lane_edits if f == "layer")
        lrank = layer_rank[layer] = key_between(layer_rank.get(layer), None)
        # add_lane ranks against committed lanes only and these share one Change
        edits += [(e, i, f, lrank if f == "rank" else v) for e, i, f, v in lane_edits]
    _commit_template(doc, edits, 1)

    edits = []
    cell_rank: dict[tuple[str, str], str | None] = {}
    for spec in cards:
        fields = dict(spec)
        cid, lane, stage = fields.pop("id"), fields.pop("lane"), fields.pop("stage")
        crank = cell_rank[lane, stage] = key_between(cell_rank.get((lane, stage)), None)
        edits += add_card(doc, lane, stage, card_id=cid, rank=crank, **fields)[1]
    _commit_template(doc, edits, 2)

    edits = []
    for kid, source, target, kind, label in links:
        # the same id in every file made from the template (see _commit_template)
        kid = kid or "k-" + hashlib.sha256(f"{source}>{target}:{kind}".encode()).hexdigest()[:12]
        edits += add_link(doc, source, target, kind=kind, label=label, link_id=kid)[1]
    _commit_template(doc, edits, 3)


def create_from_template(path: str | Path, template: str, *, name: str | None = None) -> Document:
    """Create a new design file at ``path`` filled from a template; return it open."""
    chosen = TEMPLATES.get(template)
    if chosen is None:
        raise ValueError(f"unknown template {template!r}; choose one of: {', '.join(TEMPLATES)}")
    doc = Document.new(path, name=name or chosen.title)
    try:
        chosen.fill(doc)
    except BaseException:
        doc.close()
        raise
    return doc


# -- shared structure ----------------------------------------------------------------

ACQ, ONB, ADO, EXP, REN = "s-acquire", "s-onboard", "s-adopt", "s-expand", "s-renew"

LIFECYCLE_STAGES: tuple[StageSpec, ...] = (
    (ACQ, "Acquire", "acquire", "A prospect finds us, evaluates the product and signs."),
    (ONB, "Onboard", "onboard", "The new customer goes from signed contract to its first live team."),
    (ADO, "Adopt", "adopt", "Users build the habit and the account reaches the value it bought."),
    (EXP, "Expand", "expand", "A healthy account grows with more seats and more products."),
    (REN, "Renew", "renew", "The contract comes up for renewal: forecast, negotiate and sign again."),
)  # fmt: skip

# journey
J_ACT, J_TP, J_EMO, J_PAIN, J_OPP = (
    "l-actions", "l-touchpoints", "l-emotions", "l-pain-points", "l-opportunities",
)  # fmt: skip
# blueprint
B_EV, B_ACT, B_FRONT, B_BACK, B_SUP, B_SYS = (
    "l-evidence", "l-bp-actions", "l-frontstage", "l-backstage", "l-support", "l-systems",
)  # fmt: skip
# process teams
P_SALES, P_CS, P_PS, P_PART, P_SUPP = "l-sales", "l-cs", "l-ps", "l-partners", "l-support-team"

JOURNEY_LANES: tuple[LaneSpec, ...] = (
    (J_ACT, "Customer actions", "actions", ""),
    (J_TP, "Touchpoints", "touchpoints", ""),
    (J_EMO, "Emotions", "emotions", ""),
    (J_PAIN, "Pain points", "pain_points", ""),
    (J_OPP, "Opportunities", "opportunities", ""),
)
BLUEPRINT_LANES: tuple[LaneSpec, ...] = (
    (B_EV, "Evidence", "evidence", ""),
    (B_ACT, "Customer actions", "customer_actions", ""),
    (B_FRONT, "Front stage", "frontstage", ""),
    (B_BACK, "Back stage", "backstage", ""),
    (B_SUP, "Support processes", "support", ""),
    (B_SYS, "Systems", "systems", ""),
)
TEAM_LANES: dict[str, LaneSpec] = {
    P_SALES: (P_SALES, "Sales", "team", "Sales"),
    P_CS: (P_CS, "Customer Success", "team", "Customer Success"),
    P_PS: (P_PS, "Professional Services", "team", "Professional Services"),
    P_PART: (P_PART, "Partners", "team", "Partners"),
    P_SUPP: (P_SUPP, "Support", "team", "Support"),
}

# -- b2b-saas -----------------------------------------------------------------------

_B2B_CARDS: list[dict[str, Any]] = [
    # Acquire ------------------------------------------------------------------------
    _card("c-research", J_ACT, ACQ, "Researches tools and reads peer reviews"),
    _card("c-book-demo", J_ACT, ACQ, "Books a demo for the buying committee"),
    _card("c-run-trial", J_ACT, ACQ, "Runs a two-week trial with the team"),
    _card("c-pricing-page", J_TP, ACQ, "Pricing page and case studies", channel="Website"),
    _card("c-demo-call", J_TP, ACQ, "Tailored demo", channel="Video call"),
    _card("c-trial-workspace", J_TP, ACQ, "Trial workspace", channel="In-app", tags=["trial"]),
    _card("c-proposal", J_TP, ACQ, "Proposal and order form", channel="Email"),
    _card("c-emo-demo", J_EMO, ACQ, "Hopeful: the demo shows our own use case", sentiment=1),
    _card("c-emo-security", J_EMO, ACQ, "Wary: the security review drags on", sentiment=-1),
    _card("c-pain-security-questionnaire", J_PAIN, ACQ,
          "A 300-question security questionnaire takes weeks", tags=["security"]),
    _card("c-opp-trust-center", J_OPP, ACQ, "Publish a trust center with the SOC 2 report",
          tags=["security"]),
    _card("c-ev-case-studies", B_EV, ACQ, "Case studies and the pricing page"),
    _card("c-ev-order-form", B_EV, ACQ, "Signed order form and MSA"),
    _card("c-bp-demo-form", B_ACT, ACQ, "Fills in the demo request form"),
    _card("c-fs-demo", B_FRONT, ACQ, "AE runs a demo built on the discovery notes"),
    _card("c-fs-se-answers", B_FRONT, ACQ, "Sales engineer answers the technical questions"),
    _card("c-bs-qualify", B_BACK, ACQ, "SDR qualifies the lead (budget, authority, need, timing)"),
    _card("c-bs-winloss", B_BACK, ACQ, "Win/loss analysis",
          notes="Sales Ops interviews lost and won buyers every quarter."),
    _card("c-sp-product-marketing", B_SUP, ACQ, "Product marketing keeps pricing and case studies current"),
    _card("c-sp-legal", B_SUP, ACQ, "Legal redlines the MSA and DPA", tags=["legal"]),
    _card("c-sp-deal-desk", B_SUP, ACQ, "Deal desk checks discount and payment terms"),
    _card("c-sys-lead-scoring", B_SYS, ACQ, "Marketing automation scores the lead", tags=["automation"]),
    _card("c-sys-crm", B_SYS, ACQ, "CRM opportunity and stage history", tags=["crm"]),
    _step("c-sales-discovery", P_SALES, ACQ, "Discovery call: pains, stakeholders, timeline", "AE", 1.5),
    _step("c-sales-tech-eval", P_SALES, ACQ, "Technical evaluation and security review",
          "Sales engineer", 24, tags=["security"]),
    _step("c-sales-discount", P_SALES, ACQ, "Discount above 15%?", "Sales manager", 4, kind="decision"),
    _step("c-sales-negotiate", P_SALES, ACQ, "Negotiate terms and sign the order form", "AE", 10),
    _step("c-ps-sow", P_PS, ACQ, "Scope the implementation statement of work", "Engagement manager", 6),
    _step("c-partner-referral", P_PART, ACQ, "Partner registers the referred deal", "Partner manager", 1,
          kind="handoff", tags=["handoff"]),
    _step("c-support-trial-tickets", P_SUPP, ACQ, "Answer trial questions within 4 hours",
          "Support engineer", 3, tags=["trial"]),
    # Onboard ------------------------------------------------------------------------
    _card("c-join-kickoff", J_ACT, ONB, "Joins the kickoff with IT and the sponsor"),
    _card("c-configure-sso", J_ACT, ONB, "IT configures single sign-on"),
    _card("c-invite-team", J_ACT, ONB, "Invites the first team"),
    _card("c-welcome-email", J_TP, ONB, "Welcome email with the CSM's name", channel="Email"),
    _card("c-tp-kickoff", J_TP, ONB, "Kickoff call", channel="Video call"),
    _card("c-onboarding-portal", J_TP, ONB, "Onboarding portal with the project plan", channel="Portal"),
    _card("c-setup-checklist", J_TP, ONB, "In-app set-up checklist", channel="In-app"),
    _card("c-tp-workshops", J_TP, ONB, "Configuration workshops", channel="Video call"),
    _card("c-emo-kickoff", J_EMO, ONB, "Relieved: a named CSM and a plan", sentiment=1),
    _card("c-emo-checklist", J_EMO, ONB, "Overwhelmed by the set-up checklist", sentiment=-1),
    _card("c-emo-waiting", J_EMO, ONB, "Frustrated: still waiting for SSO and the ERP integration",
          sentiment=-2),
    _card("c-pain-repeat-goals", J_PAIN, ONB, "Has to repeat to the CSM what Sales already heard",
          tags=["handoff"]),
    _card("c-pain-integration-wait", J_PAIN, ONB, "Waits six weeks for the ERP integration",
          tags=["integration"]),
    _card("c-opp-handoff-notes", J_OPP, ONB, "Share the discovery notes with the CSM before kickoff",
          tags=["handoff"]),
    _card("c-opp-connector", J_OPP, ONB, "Certified ERP connector in the partner marketplace",
          tags=["integration"]),
    _card("c-ev-success-plan", B_EV, ONB, "Kickoff deck and success plan"),
    _card("c-ev-welcome", B_EV, ONB, "Welcome email with the login link"),
    _card("c-bp-admin-setup", B_ACT, ONB, "Admin sets up SSO and user groups"),
    _card("c-fs-kickoff", B_FRONT, ONB, "CSM runs the kickoff and agrees success criteria"),
    _card("c-fs-workshops", B_FRONT, ONB, "Implementation consultant runs the configuration workshops"),
    _card("c-bs-review-handoff", B_BACK, ONB, "CSM reads the Sales hand-off notes", tags=["handoff"]),
    _card("c-bs-migration", B_BACK, ONB, "Data migration scripts from the legacy tool"),
    _card("c-sp-billing-ops", B_SUP, ONB, "Billing ops sets up the account and the PO"),
    _card("c-sys-billing", B_SYS, ONB, "Billing system creates the subscription", tags=["billing"]),
    _card("c-sys-tenant", B_SYS, ONB, "Tenant provisioning", tags=["automation"]),
    _card("c-sys-scim", B_SYS, ONB, "SSO (SAML) and SCIM user provisioning",
          notes="Users and groups are created and removed from the customer's identity provider.",
          tags=["automation", "security"]),
    _step("c-closed-won", P_SALES, ONB, "Closed-won: hand-off meeting with the CSM", "AE", 1,
          kind="handoff", tags=["handoff"]),
    _step("c-cs-kickoff", P_CS, ONB, "Kickoff call: goals, success criteria, plan", "CSM", 1.5),
    _step("c-cs-success-plan", P_CS, ONB, "Write the success plan and project timeline", "CSM", 4),
    _step("c-cs-go-live", P_CS, ONB, "Go-live criteria met?", "CSM", 1, kind="decision"),
    _step("c-ps-implementation", P_PS, ONB, "Implementation: configuration and data migration",
          "Implementation consultant", 80, tags=["implementation"]),
    _step("c-ps-partner-handoff", P_PS, ONB, "Hand the ERP integration to the partner",
          "Implementation consultant", 2, kind="handoff", tags=["handoff", "integration"]),
    _step("c-partner-integration", P_PART, ONB, "Build and test the ERP integration",
          "Partner consultant", 40, tags=["integration"]),
    _step("c-support-sso", P_SUPP, ONB, "Help the customer's IT with SSO and SCIM",
          "Support engineer", 6, tags=["security"]),
    # Adopt --------------------------------------------------------------------------
    _card("c-daily-use", J_ACT, ADO, "Uses the product in the daily workflow"),
    _card("c-attend-training", J_ACT, ADO, "Joins a training webinar"),
    _card("c-ask-question", J_ACT, ADO, "Looks for an answer or asks Support"),
    _card("c-in-app-guides", J_TP, ADO, "In-app guides and tooltips", channel="In-app"),
    _card("c-tp-webinar", J_TP, ADO, "Training webinar", channel="Webinar"),
    _card("c-help-center", J_TP, ADO, "Help center", channel="Website"),
    _card("c-support-chat", J_TP, ADO, "Support chat", channel="Chat"),
    _card("c-community-forum", J_TP, ADO, "Community forum", channel="Website"),
    _card("c-status-page", J_TP, ADO, "Status page", channel="Website"),
    _card("c-tp-qbr", J_TP, ADO, "Quarterly business review", channel="Video call"),
    _card("c-emo-value", J_EMO, ADO, "Confident: the team sees the first results", sentiment=2),
    _card("c-emo-ticket", J_EMO, ADO, "Annoyed when a ticket bounces between teams", sentiment=-1),
    _card("c-pain-ticket-bounce", J_PAIN, ADO, "Tickets bounce between Support and the CSM"),
    _card("c-pain-low-adoption", J_PAIN, ADO, "Only a third of the licences are used"),
    _card("c-opp-ticket-owner", J_OPP, ADO, "One owner per ticket until it is solved"),
    _card("c-opp-nudges", J_OPP, ADO, "Usage-triggered nudges for inactive users"),
    _card("c-ev-qbr-deck", B_EV, ADO, "QBR deck with usage and ROI"),
    _card("c-bp-raise-ticket", B_ACT, ADO, "Raises a support ticket"),
    _card("c-fs-chat-answer", B_FRONT, ADO, "Support engineer answers in chat"),
    _card("c-fs-qbr", B_FRONT, ADO, "CSM presents the QBR to the sponsor"),
    _card("c-bs-health-score", B_BACK, ADO, "Health score from usage, tickets and NPS", tags=["health"]),
    _card("c-bs-triage", B_BACK, ADO, "Support triage and escalation rules"),
    _card("c-sp-enablement", B_SUP, ADO, "Enablement records courses and help articles"),
    _card("c-sp-feature-requests", B_SUP, ADO, "Product reviews the feature requests"),
    _card("c-sys-analytics", B_SYS, ADO, "Product analytics (usage events)", tags=["automation"]),
    _card("c-sys-cs-platform", B_SYS, ADO, "Customer success platform", tags=["health"]),
    _card("c-sys-ticketing", B_SYS, ADO, "Ticketing system"),
    _step("c-cs-health-review", P_CS, ADO, "Review the adoption health score", "CSM", 1, tags=["health"]),
    _step("c-cs-risk-decision", P_CS, ADO, "Health score below 60?", "CSM", 0.5, kind="decision"),
    _step("c-cs-qbr", P_CS, ADO, "Prepare and run the quarterly business review", "CSM", 8, tags=["qbr"]),
    _step("c-ps-training", P_PS, ADO, "Deliver admin and power-user training", "Trainer", 8),
    _step("c-support-resolve", P_SUPP, ADO, "Resolve tickets within the SLA", "Support engineer", 4),
    _step("c-support-escalate", P_SUPP, ADO, "Escalate a stuck account to the CSM", "Support lead", 0.5,
          kind="handoff", tags=["handoff"]),
    # Expand -------------------------------------------------------------------------
    _card("c-ask-seats", J_ACT, EXP, "Asks for seats for a second department"),
    _card("c-eval-addon", J_ACT, EXP, "Evaluates the analytics add-on"),
    _card("c-seat-prompt", J_TP, EXP, "Seat-limit prompt", channel="In-app"),
    _card("c-expansion-proposal", J_TP, EXP, "Expansion proposal", channel="Email"),
    _card("c-addon-demo", J_TP, EXP, "Add-on demo", channel="Video call"),
    _card("c-emo-expand", J_EMO, EXP, "Proud: a second department wants in", sentiment=2),
    _card("c-emo-order-form", J_EMO, EXP, "Irritated: ten seats need a new order form", sentiment=-1),
    _card("c-pain-order-form", J_PAIN, EXP, "Buying more seats needs a new order form and PO"),
    _card("c-opp-self-serve-seats", J_OPP, EXP, "Self-serve seat add-ons in the admin portal"),
    _card("c-ev-expansion-order", B_EV, EXP, "Amended order form"),
    _card("c-bp-request-licenses", B_ACT, EXP, "Admin requests more licences"),
    _card("c-fs-cross-sell", B_FRONT, EXP, "Account manager pitches the add-on"),
    _card("c-bs-expansion-signals", B_BACK, EXP, "Flag accounts above 90% seat use",
          tags=["expansion"]),
    _card("c-sp-deal-desk-expansion", B_SUP, EXP, "Deal desk prices the expansion"),
    _card("c-sys-entitlements", B_SYS, EXP, "Entitlements service enforces the seat limit"),
    _card("c-sys-proration", B_SYS, EXP, "Billing prorates the added seats", tags=["billing"]),
    _card("c-sys-crm-expansion", B_SYS, EXP, "CRM expansion opportunity", tags=["crm"]),
    _step("c-cs-expansion-signal", P_CS, EXP, "Qualify the expansion signal with the champion",
          "CSM", 1, tags=["expansion"]),
    _step("c-cs-intro-am", P_CS, EXP, "Introduce the account manager", "CSM", 0.5, kind="handoff",
          tags=["handoff"]),
    _step("c-sales-seat-expansion", P_SALES, EXP, "Seat expansion play: true-up to active users",
          "Account manager", 4, tags=["expansion"]),
    _step("c-sales-cross-sell", P_SALES, EXP, "Cross-sell play: analytics add-on", "Account manager", 12,
          tags=["expansion"]),
    _step("c-sales-close-expansion", P_SALES, EXP, "Close the expansion order", "Account manager", 3),
    _step("c-ps-addon-scope", P_PS, EXP, "Scope the add-on rollout", "Engagement manager", 4),
    _step("c-partner-resell", P_PART, EXP, "Partner co-sells the add-on in its region",
          "Partner manager", 6),
    # Renew --------------------------------------------------------------------------
    _card("c-review-value", J_ACT, REN, "Reviews the value delivered this year"),
    _card("c-run-procurement", J_ACT, REN, "Runs procurement and legal review again"),
    _card("c-renewal-notice", J_TP, REN, "Renewal notice 120 days out", channel="Email"),
    _card("c-ebr", J_TP, REN, "Executive business review", channel="Video call"),
    _card("c-procurement-call", J_TP, REN, "Procurement call", channel="Phone"),
    _card("c-renewal-quote", J_TP, REN, "Renewal quote", channel="Portal"),
    _card("c-emo-uplift", J_EMO, REN, "Uneasy: a 7% price uplift nobody announced", sentiment=-2),
    _card("c-emo-ebr", J_EMO, REN, "Reassured after the executive review", sentiment=1),
    _card("c-pain-uplift", J_PAIN, REN, "The price uplift arrives late in the cycle",
          tags=["renewal"]),
    _card("c-pain-repeat-questionnaire", J_PAIN, REN,
          "Security questionnaire repeated at every renewal", tags=["security"]),
    _card("c-opp-early-uplift", J_OPP, REN, "Announce the uplift at the QBR six months ahead",
          tags=["renewal"]),
    _card("c-ev-renewal-invoice", B_EV, REN, "Renewal order form and invoice"),
    _card("c-bp-ask-discount", B_ACT, REN, "Procurement asks for a multi-year discount"),
    _card("c-fs-negotiate-renewal", B_FRONT, REN, "Renewal manager negotiates the uplift"),
    _card("c-fs-ebr", B_FRONT, REN, "CSM and executive sponsor lead the business review"),
    _card("c-bs-renewal-forecast", B_BACK, REN, "Renewal forecast: commit, best case, at risk",
          tags=["renewal", "forecast"]),
    _card("c-sp-uplift", B_SUP, REN, "Finance applies the contractual uplift", tags=["billing"]),
    _card("c-sys-crm-renewal", B_SYS, REN, "CRM opens the renewal opportunity 120 days out",
          tags=["crm", "automation"]),
    _card("c-sys-renewal-invoice", B_SYS, REN, "Billing generates the renewal quote and invoice",
          tags=["billing"]),
    _step("c-cs-renewal-risk", P_CS, REN, "Renewal risk assessment", "CSM", 2, tags=["renewal", "risk"]),
    _step("c-cs-at-risk", P_CS, REN, "Renewal at risk?", "CS manager", 1, kind="decision",
          tags=["risk"]),
    _step("c-cs-save-plan", P_CS, REN, "Save plan: re-onboard the inactive teams", "CSM", 12,
          tags=["risk"]),
    _step("c-sales-forecast", P_SALES, REN, "Renewal forecast call", "Renewal manager", 1,
          tags=["forecast"]),
    _step("c-sales-uplift", P_SALES, REN, "Negotiate the price uplift with procurement",
          "Renewal manager", 6, tags=["renewal"]),
    _step("c-sales-signature", P_SALES, REN, "Procurement, legal review and signature",
          "Renewal manager", 8, tags=["renewal", "legal"]),
    _step("c-support-renewal-tickets", P_SUPP, REN, "Hand open escalations to the CSM before renewal",
          "Support lead", 1, kind="handoff", tags=["handoff"]),
    _step("c-partner-coterm", P_PART, REN, "Co-term the partner integration licence",
          "Partner manager", 2),
]  # fmt: skip

F, S, H, T = "flow", "supports", "handoff", "triggers"

_B2B_LINKS: list[LinkSpec] = [
    # Acquire
    ("", "c-research", "c-book-demo", F, ""),
    ("", "c-book-demo", "c-run-trial", F, ""),
    ("", "c-pricing-page", "c-sys-lead-scoring", T, "pricing page visits"),
    ("", "c-sys-lead-scoring", "c-bs-qualify", F, "MQL"),
    ("", "c-sys-crm", "c-bs-qualify", F, ""),
    ("", "c-sys-crm", "c-bs-winloss", F, "closed-lost reasons"),
    ("", "c-bs-qualify", "c-fs-demo", S, ""),
    ("", "c-sp-product-marketing", "c-pricing-page", S, ""),
    ("", "c-partner-referral", "c-sales-discovery", H, "registered deal"),
    ("", "c-sales-discovery", "c-sales-tech-eval", F, ""),
    ("", "c-sales-discovery", "c-demo-call", S, "discovery notes"),
    ("", "c-sales-discovery", "c-fs-demo", S, ""),
    ("", "c-sales-tech-eval", "c-fs-se-answers", S, ""),
    ("", "c-sales-tech-eval", "c-ps-sow", H, "scope request"),
    ("", "c-ps-sow", "c-sales-discount", H, "SOW"),
    ("", "c-sp-deal-desk", "c-sales-discount", F, ""),
    ("", "c-sales-discount", "c-sales-negotiate", F, "approved"),
    ("", "c-sales-negotiate", "c-proposal", S, ""),
    ("", "c-sp-legal", "c-proposal", S, "redlined MSA"),
    ("", "c-support-trial-tickets", "c-trial-workspace", S, ""),
    ("", "c-demo-call", "c-emo-demo", T, ""),
    ("", "c-sales-tech-eval", "c-emo-security", T, ""),
    ("", "c-pain-security-questionnaire", "c-opp-trust-center", F, "addressed by"),
    # Onboard
    ("", "c-sales-negotiate", "c-closed-won", F, ""),
    ("", "c-sys-crm", "c-closed-won", T, "stage set to closed-won"),
    ("k-sales-to-cs", "c-closed-won", "c-cs-kickoff", H, "closed-won"),
    ("", "c-cs-kickoff", "c-cs-success-plan", F, ""),
    ("", "c-cs-kickoff", "c-tp-kickoff", S, ""),
    ("", "c-cs-kickoff", "c-fs-kickoff", S, ""),
    ("", "c-bs-review-handoff", "c-fs-kickoff", S, ""),
    ("", "c-cs-success-plan", "c-onboarding-portal", S, "project plan"),
    ("k-cs-to-ps", "c-cs-success-plan", "c-ps-implementation", H, "success plan and SOW"),
    ("", "c-bs-migration", "c-ps-implementation", F, ""),
    ("", "c-ps-implementation", "c-fs-workshops", S, ""),
    ("", "c-ps-implementation", "c-tp-workshops", S, ""),
    ("", "c-ps-implementation", "c-ps-partner-handoff", F, ""),
    ("k-ps-to-partners", "c-ps-partner-handoff", "c-partner-integration", H, "integration spec"),
    ("", "c-partner-integration", "c-cs-go-live", H, "integration tested"),
    ("", "c-ps-implementation", "c-cs-go-live", H, "configuration signed off"),
    ("", "c-support-sso", "c-cs-go-live", H, "SSO working"),
    ("", "c-support-sso", "c-setup-checklist", S, ""),
    ("", "c-sp-billing-ops", "c-sys-billing", F, ""),
    ("", "c-sys-billing", "c-sys-tenant", T, "subscription created"),
    ("", "c-sys-tenant", "c-welcome-email", S, "login link"),
    ("", "c-sys-scim", "c-setup-checklist", S, ""),
    ("", "c-sys-scim", "c-invite-team", S, "users provisioned"),
    ("", "c-join-kickoff", "c-configure-sso", F, ""),
    ("", "c-configure-sso", "c-invite-team", F, ""),
    ("", "c-tp-kickoff", "c-emo-kickoff", T, ""),
    ("", "c-setup-checklist", "c-emo-checklist", T, ""),
    ("", "c-pain-integration-wait", "c-emo-waiting", T, ""),
    ("", "c-pain-repeat-goals", "c-opp-handoff-notes", F, "addressed by"),
    ("", "c-pain-integration-wait", "c-opp-connector", F, "addressed by"),
    # Adopt
    ("", "c-cs-go-live", "c-cs-health-review", F, "live"),
    ("", "c-sys-analytics", "c-sys-cs-platform", F, "usage events"),
    ("", "c-sys-cs-platform", "c-bs-health-score", F, ""),
    ("", "c-bs-health-score", "c-cs-health-review", T, "weekly score"),
    ("", "c-sys-analytics", "c-in-app-guides", S, "targets the guides"),
    ("", "c-cs-health-review", "c-cs-risk-decision", F, ""),
    ("", "c-cs-risk-decision", "c-cs-qbr", F, "healthy"),
    ("k-cs-to-ps-training", "c-cs-risk-decision", "c-ps-training", H, "low adoption: retrain"),
    ("", "c-ps-training", "c-tp-webinar", S, ""),
    ("", "c-sp-enablement", "c-tp-webinar", S, ""),
    ("", "c-sp-enablement", "c-help-center", S, ""),
    ("", "c-cs-qbr", "c-tp-qbr", S, ""),
    ("", "c-cs-qbr", "c-fs-qbr", S, ""),
    ("", "c-sp-feature-requests", "c-fs-qbr", S, "roadmap update"),
    ("", "c-sys-ticketing", "c-bs-triage", F, ""),
    ("", "c-bs-triage", "c-support-resolve", F, ""),
    ("", "c-bs-triage", "c-fs-chat-answer", S, ""),
    ("", "c-support-resolve", "c-fs-chat-answer", S, ""),
    ("", "c-support-resolve", "c-support-chat", S, ""),
    ("", "c-support-resolve", "c-support-escalate", F, "not solved in 5 days"),
    ("k-support-to-cs", "c-support-escalate", "c-cs-health-review", H, "account at risk"),
    ("", "c-daily-use", "c-ask-question", F, ""),
    ("", "c-ask-question", "c-community-forum", F, ""),
    ("", "c-support-chat", "c-emo-ticket", T, ""),
    ("", "c-tp-qbr", "c-emo-value", T, ""),
    ("", "c-pain-ticket-bounce", "c-opp-ticket-owner", F, "addressed by"),
    ("", "c-pain-low-adoption", "c-opp-nudges", F, "addressed by"),
    # Expand
    ("", "c-sys-analytics", "c-bs-expansion-signals", F, "seat use"),
    ("", "c-bs-expansion-signals", "c-cs-expansion-signal", T, ""),
    ("", "c-cs-qbr", "c-cs-expansion-signal", F, "new department interested"),
    ("", "c-cs-expansion-signal", "c-cs-intro-am", F, ""),
    ("k-cs-to-sales", "c-cs-intro-am", "c-sales-seat-expansion", H, "expansion-qualified lead"),
    ("", "c-cs-intro-am", "c-sales-cross-sell", H, "add-on interest"),
    ("", "c-sys-crm-expansion", "c-sales-seat-expansion", F, ""),
    ("", "c-sales-seat-expansion", "c-sales-close-expansion", F, ""),
    ("", "c-sales-seat-expansion", "c-expansion-proposal", S, ""),
    ("", "c-sales-cross-sell", "c-fs-cross-sell", S, ""),
    ("", "c-sales-cross-sell", "c-addon-demo", S, ""),
    ("", "c-sales-cross-sell", "c-ps-addon-scope", H, "rollout scope"),
    ("", "c-ps-addon-scope", "c-sales-close-expansion", H, "rollout plan"),
    ("", "c-ps-addon-scope", "c-expansion-proposal", S, ""),
    ("", "c-sales-cross-sell", "c-partner-resell", H, "regional co-sell"),
    ("", "c-partner-resell", "c-sales-close-expansion", H, "partner order"),
    ("", "c-partner-resell", "c-addon-demo", S, ""),
    ("", "c-sp-deal-desk-expansion", "c-sales-close-expansion", F, ""),
    ("", "c-sales-close-expansion", "c-sys-entitlements", F, "raise the seat limit"),
    ("", "c-sys-entitlements", "c-seat-prompt", S, ""),
    ("", "c-sys-proration", "c-expansion-proposal", S, "prorated price"),
    ("", "c-seat-prompt", "c-emo-order-form", T, ""),
    ("", "c-expansion-proposal", "c-emo-expand", T, ""),
    ("", "c-ask-seats", "c-eval-addon", F, ""),
    ("", "c-pain-order-form", "c-opp-self-serve-seats", F, "addressed by"),
    # Renew
    ("", "c-cs-qbr", "c-cs-renewal-risk", F, "QBR findings"),
    ("", "c-sales-close-expansion", "c-sales-forecast", F, "co-term to the renewal date"),
    ("", "c-sys-crm-renewal", "c-cs-renewal-risk", T, ""),
    ("", "c-sys-crm-renewal", "c-renewal-notice", S, ""),
    ("", "c-support-renewal-tickets", "c-cs-renewal-risk", H, "open escalations"),
    ("", "c-cs-renewal-risk", "c-cs-at-risk", F, ""),
    ("", "c-cs-renewal-risk", "c-ebr", S, ""),
    ("", "c-cs-renewal-risk", "c-fs-ebr", S, ""),
    ("", "c-cs-at-risk", "c-cs-save-plan", F, "at risk"),
    ("k-save-plan-to-health", "c-cs-save-plan", "c-cs-health-review", F, "re-onboard"),
    ("", "c-cs-at-risk", "c-sales-forecast", H, "commit"),
    ("", "c-cs-at-risk", "c-bs-renewal-forecast", F, ""),
    ("", "c-bs-renewal-forecast", "c-fs-negotiate-renewal", S, ""),
    ("", "c-sales-forecast", "c-sales-uplift", F, ""),
    ("", "c-sales-uplift", "c-fs-negotiate-renewal", S, ""),
    ("", "c-sales-uplift", "c-procurement-call", S, ""),
    ("", "c-sales-uplift", "c-sales-signature", F, ""),
    ("", "c-sales-signature", "c-renewal-quote", S, ""),
    ("", "c-sales-signature", "c-partner-coterm", H, "co-term date"),
    ("", "c-partner-coterm", "c-renewal-quote", S, ""),
    ("", "c-sp-uplift", "c-renewal-quote", S, ""),
    ("", "c-sys-renewal-invoice", "c-renewal-quote", S, ""),
    ("", "c-renewal-quote", "c-emo-uplift", T, ""),
    ("", "c-ebr", "c-emo-ebr", T, ""),
    ("", "c-review-value", "c-run-procurement", F, ""),
    ("", "c-pain-uplift", "c-opp-early-uplift", F, "addressed by"),
]  # fmt: skip

#: what the analysis (issue 6) must find in ``b2b-saas``, by card or link id
B2B_SAAS_GAPS: dict[str, tuple[str, ...]] = {
    "unsupported_touchpoints": ("c-community-forum", "c-status-page"),
    "orphan_backstage": ("c-bs-winloss",),
    "pains_without_opportunity": ("c-pain-repeat-questionnaire",),
    "loop_back_links": ("k-save-plan-to-health",),
}

#: facts of the ``b2b-saas`` process graph (flow and hand-off links between process cards)
B2B_SAAS_PROCESS: dict[str, Any] = {
    # the one cycle, closed by the loop-back
    "cycle": ("c-cs-health-review", "c-cs-risk-decision", "c-cs-qbr", "c-cs-renewal-risk",
              "c-cs-at-risk", "c-cs-save-plan"),
    # without the loop-back; unique: the next longest path is 223 h
    "critical_path": (
        "c-partner-referral", "c-sales-discovery", "c-sales-tech-eval", "c-ps-sow",
        "c-sales-discount", "c-sales-negotiate", "c-closed-won", "c-cs-kickoff",
        "c-cs-success-plan", "c-ps-implementation", "c-ps-partner-handoff",
        "c-partner-integration", "c-cs-go-live", "c-cs-health-review", "c-cs-risk-decision",
        "c-cs-qbr", "c-cs-expansion-signal", "c-cs-intro-am", "c-sales-cross-sell",
        "c-partner-resell", "c-sales-close-expansion", "c-sales-forecast", "c-sales-uplift",
        "c-sales-signature", "c-partner-coterm",
    ),
    "critical_path_hours": 225.0,
    "stage_cycle_hours": {ACQ: 46.5, ONB: 129.5, ADO: 14.0, EXP: 22.5, REN: 21.0},
    # links between two teams' lanes (all of kind handoff)
    "handoffs_total": 20,
    "handoffs_sales_to_cs": 1,
}  # fmt: skip


def _fill_b2b_saas(doc: Document) -> None:
    lanes = JOURNEY_LANES + BLUEPRINT_LANES + tuple(TEAM_LANES.values())
    _fill(doc, LIFECYCLE_STAGES, lanes, _B2B_CARDS, _B2B_LINKS)


# -- onboarding ---------------------------------------------------------------------

_ONB_LANES: tuple[LaneSpec, ...] = (
    (J_TP, "Touchpoints", "touchpoints", ""),
    (J_EMO, "Emotions", "emotions", ""),
    *BLUEPRINT_LANES,
    TEAM_LANES[P_CS],
    TEAM_LANES[P_PS],
    TEAM_LANES[P_SUPP],
)

_ONB_CARDS: list[dict[str, Any]] = [
    _card("c-welcome-email", J_TP, ONB, "Welcome email with the CSM's name", channel="Email"),
    _card("c-kickoff-call", J_TP, ONB, "Kickoff call", channel="Video call"),
    _card("c-onboarding-portal", J_TP, ONB, "Onboarding portal: plan and open tasks", channel="Portal"),
    _card("c-sso-guide", J_TP, ONB, "SSO and SCIM set-up guide", channel="Website"),
    _card("c-go-live-kit", J_TP, ONB, "Go-live announcement kit for the users", channel="Email"),
    _card("c-emo-welcome", J_EMO, ONB, "Reassured: someone owns our onboarding", sentiment=1),
    _card("c-emo-sso", J_EMO, ONB, "Stuck: IT has not approved the SSO app yet", sentiment=-2),
    _card("c-emo-live", J_EMO, ONB, "Proud: the first team is live on day 30", sentiment=2),
    _card("c-ev-welcome", B_EV, ONB, "Welcome email and login link"),
    _card("c-ev-plan", B_EV, ONB, "Success plan with the go-live date"),
    _card("c-ca-kickoff", B_ACT, ONB, "Project lead joins the kickoff with IT and the sponsor"),
    _card("c-ca-sso", B_ACT, ONB, "IT admin configures SAML SSO and SCIM"),
    _card("c-ca-invite", B_ACT, ONB, "Admins invite the first team"),
    _card("c-fs-kickoff", B_FRONT, ONB, "CSM runs the kickoff and agrees success criteria"),
    _card("c-fs-workshop", B_FRONT, ONB, "Implementation consultant runs the configuration workshops"),
    _card("c-fs-sso-help", B_FRONT, ONB, "Support engineer joins a screen-share for SSO"),
    _card("c-bs-handoff-notes", B_BACK, ONB, "CSM reads the Sales hand-off notes", tags=["handoff"]),
    _card("c-bs-migration", B_BACK, ONB, "Consultant migrates data from the legacy tool"),
    _card("c-bs-project-plan", B_BACK, ONB, "CSM keeps the project plan up to date"),
    _card("c-sp-billing", B_SUP, ONB, "Billing ops sets up the account and the PO"),
    _card("c-sp-security", B_SUP, ONB, "Security team answers the customer's IT review"),
    _card("c-sys-tenant", B_SYS, ONB, "Tenant provisioning", tags=["automation"]),
    _card("c-sys-scim", B_SYS, ONB, "SSO (SAML) and SCIM user provisioning", tags=["automation"]),
    _card("c-sys-portal", B_SYS, ONB, "Project tracker behind the onboarding portal"),
    _step("c-cs-kickoff", P_CS, ONB, "Kickoff call: goals, success criteria, plan", "CSM", 1.5),
    _step("c-cs-plan", P_CS, ONB, "Write the success plan", "CSM", 4),
    _step("c-cs-go-live", P_CS, ONB, "Go-live criteria met?", "CSM", 1, kind="decision"),
    _step("c-cs-day-30", P_CS, ONB, "Day-30 go-live review with the sponsor", "CSM", 1),
    _step("c-ps-config", P_PS, ONB, "Configuration workshops", "Implementation consultant", 24),
    _step("c-ps-migration", P_PS, ONB, "Data migration and reconciliation",
          "Implementation consultant", 40),
    _step("c-support-sso", P_SUPP, ONB, "Troubleshoot SSO and SCIM with IT", "Support engineer", 6),
    _step("c-support-handover", P_SUPP, ONB, "Hand the open set-up tickets to the CSM",
          "Support lead", 0.5, kind="handoff", tags=["handoff"]),
]  # fmt: skip

_ONB_LINKS: list[LinkSpec] = [
    ("", "c-cs-kickoff", "c-cs-plan", F, ""),
    ("", "c-cs-kickoff", "c-kickoff-call", S, ""),
    ("", "c-cs-kickoff", "c-fs-kickoff", S, ""),
    ("", "c-bs-handoff-notes", "c-fs-kickoff", S, ""),
    ("", "c-cs-plan", "c-ps-config", H, "success plan"),
    ("", "c-cs-plan", "c-bs-project-plan", F, ""),
    ("", "c-bs-project-plan", "c-sys-portal", F, ""),
    ("", "c-sys-portal", "c-onboarding-portal", S, ""),
    ("", "c-ps-config", "c-fs-workshop", S, ""),
    ("", "c-ps-config", "c-ps-migration", F, ""),
    ("", "c-bs-migration", "c-ps-migration", F, ""),
    ("", "c-ps-migration", "c-cs-go-live", H, "data reconciled"),
    ("", "c-sp-billing", "c-sys-tenant", F, ""),
    ("", "c-sys-tenant", "c-welcome-email", S, "login link"),
    ("", "c-sp-security", "c-sso-guide", S, ""),
    ("", "c-sys-scim", "c-ca-invite", S, "users provisioned"),
    ("", "c-support-sso", "c-fs-sso-help", S, ""),
    ("", "c-support-sso", "c-sso-guide", S, ""),
    ("", "c-support-sso", "c-support-handover", F, ""),
    ("", "c-support-handover", "c-cs-go-live", H, "SSO working"),
    ("", "c-cs-go-live", "c-cs-day-30", F, "go"),
    ("", "c-cs-day-30", "c-go-live-kit", S, ""),
    ("", "c-ca-sso", "c-sys-scim", T, ""),
    ("", "c-welcome-email", "c-emo-welcome", T, ""),
    ("", "c-sso-guide", "c-emo-sso", T, ""),
    ("", "c-go-live-kit", "c-emo-live", T, ""),
]  # fmt: skip


def _fill_onboarding(doc: Document) -> None:
    stage = next(s for s in LIFECYCLE_STAGES if s[0] == ONB)
    _fill(doc, (stage,), _ONB_LANES, _ONB_CARDS, _ONB_LINKS)


# -- empty --------------------------------------------------------------------------


def _fill_empty(doc: Document) -> None:
    lanes = (JOURNEY_LANES[0], (B_FRONT, "Front stage", "frontstage", ""), TEAM_LANES[P_CS])
    _fill(doc, LIFECYCLE_STAGES, lanes, (), ())


TEMPLATES: dict[str, Template] = {
    t.name: t
    for t in (
        Template("b2b-saas", "A B2B SaaS lifecycle from first demo to renewal, journey to process.",
                 "B2B SaaS customer lifecycle", _fill_b2b_saas),
        Template("onboarding", "One onboarding stage as a detailed service blueprint.",
                 "Customer onboarding blueprint", _fill_onboarding),
        Template("empty", "The five lifecycle stages and one lane per layer, no cards.",
                 "Untitled design", _fill_empty),
    )
}  # fmt: skip
