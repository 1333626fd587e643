"""The reference input: five behaviour descriptions (scored against ``bigfive-keywords``)."""

EXAMPLE_SENTENCES: tuple[str, ...] = (
    "I like to work hard.",
    "I enjoy being active.",
    "I like to meet new people.",
    "I prefer to follow routines.",
    "I love trying new things.",
)
