"""The synthetic Grand Est: realistic member feeds with a known ground truth (`spro generate`)."""

from sources.generator.config import GeneratorConfig, SCALES

__all__ = ["GeneratorConfig", "SCALES"]
