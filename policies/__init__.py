"""Policy packs: YAML data loaded into typed models by patchgate.tools.policy."""
