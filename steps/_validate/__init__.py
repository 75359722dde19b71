"""The validate step's rules: :mod:`.rules` reads and checks a rules file, :mod:`.checks`
evaluates each rule on a polars frame. ``steps.validate`` puts the results together."""
