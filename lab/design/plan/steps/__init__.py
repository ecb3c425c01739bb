"""The plan's steps, each a named function ``Draft -> Draft``; lab.design.plan.STEPS orders them."""
