"""The plan's steps, each a named function ``Draft -> Draft``; lab.plan.STEPS orders them."""
