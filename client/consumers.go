package client

import (
	"context"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
)

// CreateConsumer creates a consumer: a named subscription the server remembers, whose events are
// shared among the workers that Consume it. It needs a token allowed to consume, when the server
// has tokens, and stays within the token's sources and tenants.
func (c *Client) CreateConsumer(ctx context.Context, req *hooknormv1.CreateConsumerRequest) (*hooknormv1.Consumer, error) {
	resp, err := c.consumers.CreateConsumer(ctx, req)
	if err != nil {
		return nil, wrap(err)
	}
	return resp.GetConsumer(), nil
}

// GetConsumer returns a consumer with its state.
func (c *Client) GetConsumer(ctx context.Context, name string) (*hooknormv1.Consumer, error) {
	resp, err := c.consumers.GetConsumer(ctx, &hooknormv1.GetConsumerRequest{Name: name})
	if err != nil {
		return nil, wrap(err)
	}
	return resp.GetConsumer(), nil
}

// ListConsumers returns the consumers the token may see, by name, with their state.
func (c *Client) ListConsumers(ctx context.Context) ([]*hooknormv1.Consumer, error) {
	resp, err := c.consumers.ListConsumers(ctx, &hooknormv1.ListConsumersRequest{})
	if err != nil {
		return nil, wrap(err)
	}
	return resp.GetConsumers(), nil
}

// DeleteConsumer deletes a consumer with its pending events and dead letters; the events stay in
// the log.
func (c *Client) DeleteConsumer(ctx context.Context, name string) error {
	if _, err := c.consumers.DeleteConsumer(ctx, &hooknormv1.DeleteConsumerRequest{Name: name}); err != nil {
		return wrap(err)
	}
	return nil
}

// DeadLetters lists up to pageSize (0: 100) dead letters of a consumer after the sequence after,
// oldest first; more says whether others follow.
func (c *Client) DeadLetters(ctx context.Context, name string, after uint64, pageSize int) (letters []*hooknormv1.DeadLetter, more bool, err error) {
	resp, err := c.consumers.ListDeadLetters(ctx, &hooknormv1.ListDeadLettersRequest{Name: name, AfterSequence: after, PageSize: int32(pageSize)})
	if err != nil {
		return nil, false, wrap(err)
	}
	return resp.GetDeadLetters(), resp.GetMore(), nil
}

// Redrive hands dead letters of a consumer out again, those at sequences or, with none, all of
// them, and returns how many.
func (c *Client) Redrive(ctx context.Context, name string, sequences ...uint64) (uint64, error) {
	resp, err := c.consumers.RedriveDeadLetters(ctx, &hooknormv1.RedriveDeadLettersRequest{Name: name, Sequences: sequences})
	if err != nil {
		return 0, wrap(err)
	}
	return resp.GetRedriven(), nil
}
