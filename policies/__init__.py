"""Policy packs: YAML data loaded into typed models by tools.policy."""
