"""Workshop mode: host or join a sync room from the window, presence, voting, timer, history."""
