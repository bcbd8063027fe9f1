"""TicketFlow: five Strawberry federation subgraphs and the small kernel they share."""
