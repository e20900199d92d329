// A catalog list with a pagination fragment (Relay's usePaginationFragment), both directions.
// `first` has no defaultValue: Relay replaces a null variable by its default, so with one it
// would send `first` and `last` together when paging backward, which the service refuses.
import { graphql } from 'relay-runtime';

export const CatalogListQuery = graphql`
  query CatalogListQuery($first: Int, $after: String, $last: Int, $before: String, $search: String) {
    ...CatalogList_query @arguments(first: $first, after: $after, last: $last, before: $before, search: $search)
  }
`;

export const CatalogListFragment = graphql`
  fragment CatalogList_query on Query
  @argumentDefinitions(
    first: { type: "Int" }
    after: { type: "String" }
    last: { type: "Int" }
    before: { type: "String" }
    search: { type: "String" }
  )
  @refetchable(queryName: "CatalogListPaginationQuery") {
    resources(first: $first, after: $after, last: $last, before: $before, filter: { search: $search })
      @connection(key: "CatalogList_resources", filters: ["filter"]) {
      totalCount
      edges {
        node {
          id
          name
          shortDescription
          pullCount
        }
      }
    }
  }
`;
