package api

// orgEndpoints registers the organisation endpoints. (The org work fills
// this in.)
func (s *Server) orgEndpoints() {}
