import { request } from '../api';
import { graphql } from '../gql';
import { route } from '../router';

const SHOWS = graphql(`
  query Shows($filter: ShowFilter, $after: String) {
    shows(filter: $filter, first: 20, after: $after) {
      nodes { id title kind startsAt localStartsAt venue { name timeZone } price { amount currency } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

route('/', async (root) => {
  const data = await request(SHOWS, { filter: null, after: null });
  const list = document.createElement('ul');
  for (const show of data.shows.nodes) {
    const li = document.createElement('li');
    const a = document.createElement('a');
    a.href = `#/shows/${encodeURIComponent(show.id)}`;
    a.textContent = show.title;
    li.append(a);
    list.append(li);
  }
  root.append(list);
});
