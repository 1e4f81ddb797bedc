package localapi

import "sync"

// subscriberBuffer is how many events a subscriber may fall behind before
// it is dropped: a reader that stopped reading must not hold the daemon.
const subscriberBuffer = 64

// Hub hands each event to every subscriber, the newest one first to those
// who join late: a program that starts watching learns the current state
// at once. It never blocks the publisher.
type Hub struct {
	mu     sync.Mutex
	last   []byte
	subs   map[*subscriber]struct{}
	closed bool
}

type subscriber struct {
	ch chan []byte
}

// Publish sends one event (a JSON object without the newline) to every
// subscriber. A subscriber whose buffer is full is dropped: its channel
// closes, and its reader sees the stream end.
func (h *Hub) Publish(event []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.last = event
	for s := range h.subs {
		select {
		case s.ch <- event:
		default:
			delete(h.subs, s)
			close(s.ch)
		}
	}
}

// Subscribe returns a channel of events, starting with the last one
// published (when there was one), and the function that ends the
// subscription. The channel closes when the subscriber falls behind or
// the hub closes.
func (h *Hub) Subscribe() (<-chan []byte, func()) {
	s := &subscriber{ch: make(chan []byte, subscriberBuffer)}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(s.ch)
		return s.ch, func() {}
	}
	if h.last != nil {
		s.ch <- h.last
	}
	if h.subs == nil {
		h.subs = map[*subscriber]struct{}{}
	}
	h.subs[s] = struct{}{}
	return s.ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if _, ok := h.subs[s]; ok {
			delete(h.subs, s)
			close(s.ch)
		}
	}
}

// Close ends every subscription: the daemon is stopping.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for s := range h.subs {
		delete(h.subs, s)
		close(s.ch)
	}
}
