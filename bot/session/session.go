// Package session keeps each person's conversation state between turns,
// behind the small domain.Store interface with compare-and-set writes. The
// memory store here serves the console and tests; Redis serves production.
package session
