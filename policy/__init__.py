"""The stack's policy pack: `pulumi preview --policy-pack policy`. Rules live in `policy.rules`."""
