"""Entry point Pulumi runs for `--policy-pack policy`."""

from pulumi_policy import EnforcementLevel, PolicyPack
from stock_policies import POLICIES

PolicyPack(name="stock-levels-policies", enforcement_level=EnforcementLevel.MANDATORY, policies=POLICIES)
