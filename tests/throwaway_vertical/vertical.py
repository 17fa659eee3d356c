from apps.core.verticals import Vertical

VERTICAL = Vertical(
    name="throwaway",
    label="throw-away",
    url_prefix="throwaway",
    api_urls=".api",
    isolation_factories={"throwaway.widget": ".factories.widget"},
    role_matrix=".access",
)
